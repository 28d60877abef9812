import Testing
import WardenCore
@testable import WardenONNX
@testable import WardenRuntime
@testable import WardenTensor

/// Runs `model` on `runtime/<name>/input.npy` and compares every output with the
/// `.npy` onnxruntime wrote beside it: labels exactly, values within
/// `atol + rtol·|expected|` (NaN matches NaN).
func expectMatchesOnnxRuntime(_ name: String, model: String, atol: Float, rtol: Float = 1e-3, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let executor = try Executor(model: ONNXModel(contentsOf: model))
    let input = try TensorFile.read(Fixture.path("runtime/\(name)/input.npy"))
    // The second run reuses the first one's planned buffers, which hold its values.
    for run in 1...2 {
        let outputs = try executor.run([executor.signature.inputs[0].name: input])
        try expect(outputs, of: executor, match: name, atol: atol, rtol: rtol, run: run, sourceLocation: sourceLocation)
    }
}

private func expect(_ outputs: [String: Tensor], of executor: Executor, match name: String, atol: Float, rtol: Float, run: Int, sourceLocation: SourceLocation) throws {
    for spec in executor.signature.outputs {
        let expected = try TensorFile.read(Fixture.path("runtime/\(name)/\(spec.name).npy"))
        let actual = try #require(outputs[spec.name], sourceLocation: sourceLocation)
        #expect(actual.shape == expected.shape, "\(name) \(spec.name)", sourceLocation: sourceLocation)
        #expect(actual.dataType == expected.dataType, "\(name) \(spec.name)", sourceLocation: sourceLocation)
        if case .int64(let labels) = expected.storage {
            #expect(actual.int64s == labels, "\(name) \(spec.name)", sourceLocation: sourceLocation)
            continue
        }
        let mismatches = zip(actual.floats, expected.floats).enumerated().filter { _, pair in
            !(abs(pair.0 - pair.1) <= atol + rtol * abs(pair.1) || (pair.0.isNaN && pair.1.isNaN))
        }
        #expect(
            mismatches.isEmpty,
            "\(name) run \(run) \(spec.name): \(mismatches.count) of \(expected.elementCount) values differ, e.g. \(mismatches.prefix(3).map { "#\($0.offset): \($0.element.0) vs \($0.element.1)" })",
            sourceLocation: sourceLocation
        )
    }
}
