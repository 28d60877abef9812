import Foundation
import Testing
import WardenCore
@testable import WardenONNX

/// ONNX's own backend test cases (simple, pytorch-operator, pytorch-converted)
/// whose ops the executor supports, vendored by Fixtures/conformance/vendor.py.
/// Outputs must match within ONNX's tolerances: rtol 1e-3, atol 1e-7.
@Suite struct ConformanceTests {
    static let root = Fixture.path("conformance")

    /// `suite/case` for every vendored case.
    static let cases: [String] = {
        let suites = ["simple", "pytorch-operator", "pytorch-converted"]
        return suites.flatMap { suite in
            ((try? FileManager.default.contentsOfDirectory(atPath: "\(root)/\(suite)")) ?? []).sorted().map { "\(suite)/\($0)" }
        }
    }()

    @Test func everySupportedCaseIsVendored() throws {
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(Self.root)/summary.json"))) as? [String: Any])
        let suites = try #require(summary["suites"] as? [String: [String: Any]])
        let listed = suites.values.map { ($0["supported"] as? [String])?.count ?? 0 }.reduce(0, +)
        #expect(listed == Self.cases.count)
        #expect(Self.cases.count >= 91)
    }

    @Test(arguments: cases)
    func matchesTheReferenceOutputs(_ name: String) throws {
        let directory = "\(Self.root)/\(name)"
        let model = try ONNXModel(contentsOf: "\(directory)/model.onnx")
        let executor = try Executor(model: model)
        let sets = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("test_data_set_") }.sorted()
        #expect(!sets.isEmpty)
        for set in sets {
            var inputs: [String: Tensor] = [:]
            for (index, spec) in executor.signature.inputs.enumerated() {
                inputs[spec.name] = try TensorFile.read("\(directory)/\(set)/input_\(index).pb")
            }
            // The second run reuses the first one's planned buffers, which hold its values.
            for run in 1...2 {
                let outputs = try executor.run(inputs)
                for (index, spec) in executor.signature.outputs.enumerated() {
                    let expected = try TensorFile.read("\(directory)/\(set)/output_\(index).pb")
                    let actual = try #require(outputs[spec.name])
                    #expect(actual.shape == expected.shape, "\(name) \(set) run \(run) \(spec.name): shape \(actual.shape) vs \(expected.shape)")
                    #expect(actual.dataType == expected.dataType, "\(name) \(set) run \(run) \(spec.name)")
                    let mismatches = zip(actual.floats, expected.floats).filter { a, e in
                        !(abs(a - e) <= 1e-7 + 1e-3 * abs(e) || (a.isNaN && e.isNaN) || a == e)
                    }
                    #expect(mismatches.isEmpty, "\(name) \(set) run \(run) \(spec.name): \(mismatches.count) values differ, e.g. \(mismatches.prefix(3))")
                }
            }
        }
    }
}
