import Foundation
import WardenCore
@testable import WardenONNX
@testable import WardenRuntime
@testable import WardenTensor

/// Compares an output with ONNX's reference output in its own element type:
/// float32 within ONNX's backend-test tolerances (rtol 1e-3, atol 1e-7),
/// float64 at float64 precision (rtol 1e-10, atol 1e-12), integers, bools and
/// strings exactly. NaN matches NaN; infinities match only themselves.
enum ReferenceComparison {
    static let float32Tolerance = (relative: 1e-3, absolute: 1e-7)
    static let float64Tolerance = (relative: 1e-10, absolute: 1e-12)

    /// Why `actual` is not `expected`, or nil when it is.
    static func difference(_ actual: Tensor, _ expected: Tensor) -> String? {
        if actual.shape != expected.shape { return "shape \(actual.shape), expected \(expected.shape)" }
        if actual.dataType != expected.dataType { return "element type \(actual.dataType), expected \(expected.dataType)" }
        switch expected.storage {
        case .float, .mappedFloat:
            return mismatches(actual.floats.map(Double.init), expected.floats.map(Double.init), float32Tolerance)
        case .double(let values):
            guard case .double(let got) = actual.storage else { return "storage is not float64" }
            return mismatches(got, values, float64Tolerance)
        case .int64(let values):
            guard case .int64(let got) = actual.storage else { return "storage is not int64" }
            return exact(got, values)
        case .int32(let values):
            guard case .int32(let got) = actual.storage else { return "storage is not int32" }
            return exact(got, values)
        case .int8(let values):
            guard case .int8(let got) = actual.storage else { return "storage is not int8" }
            return exact(got, values)
        case .uint8(let values):
            guard case .uint8(let got) = actual.storage else { return "storage is not uint8" }
            return exact(got, values)
        case .bool(let values):
            guard case .bool(let got) = actual.storage else { return "storage is not bool" }
            return exact(got, values)
        case .string(let values):
            guard case .string(let got) = actual.storage else { return "storage is not string" }
            return exact(got, values)
        }
    }

    private static func mismatches(_ actual: [Double], _ expected: [Double], _ tolerance: (relative: Double, absolute: Double)) -> String? {
        let wrong = zip(actual, expected).enumerated().filter { _, pair in
            let (a, e) = pair
            if a == e || (a.isNaN && e.isNaN) { return false }
            if !a.isFinite || !e.isFinite { return true }
            return !(abs(a - e) <= tolerance.absolute + tolerance.relative * abs(e))
        }
        guard !wrong.isEmpty else { return nil }
        let examples = wrong.prefix(3).map { "[\($0.offset)] \($0.element.0) vs \($0.element.1)" }.joined(separator: ", ")
        return "\(wrong.count) of \(expected.count) values differ (rtol \(tolerance.relative), atol \(tolerance.absolute)), e.g. \(examples)"
    }

    private static func exact<T: Equatable>(_ actual: [T], _ expected: [T]) -> String? {
        let wrong = zip(actual, expected).enumerated().filter { $0.element.0 != $0.element.1 }
        guard !wrong.isEmpty else { return nil }
        let examples = wrong.prefix(3).map { "[\($0.offset)] \($0.element.0) vs \($0.element.1)" }.joined(separator: ", ")
        return "\(wrong.count) of \(expected.count) values differ, e.g. \(examples)"
    }
}

/// One case of ONNX's backend test data: `model.onnx` and `test_data_set_*/{input,output}_*.pb`.
enum BackendTestCase {
    /// What is wrong with `executor`'s outputs on every data set of the case in `directory`,
    /// each set run twice (the second run reuses the first one's planned buffers, which hold its values);
    /// empty when every output matches (see `ReferenceComparison`).
    static func problems(_ executor: Executor, directory: String) throws -> [String] {
        let sets = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("test_data_set_") }.sorted()
        guard !sets.isEmpty else { return ["no test_data_set_* in \(directory)"] }
        var problems: [String] = []
        for set in sets {
            var inputs: [String: Tensor] = [:]
            for (index, spec) in executor.signature.inputs.enumerated() {
                inputs[spec.name] = try TensorFile.read("\(directory)/\(set)/input_\(index).pb")
            }
            for run in 1...2 {
                let outputs = try executor.run(inputs)
                for (index, spec) in executor.signature.outputs.enumerated() {
                    let expected = try TensorFile.read("\(directory)/\(set)/output_\(index).pb")
                    guard let actual = outputs[spec.name] else {
                        problems.append("\(set) run \(run) \(spec.name): missing")
                        continue
                    }
                    if let difference = ReferenceComparison.difference(actual, expected) {
                        problems.append("\(set) run \(run) \(spec.name): \(difference)")
                    }
                }
            }
        }
        return problems
    }
}
