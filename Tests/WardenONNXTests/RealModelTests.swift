import Foundation
import Testing
import WardenCore
@testable import WardenONNX

/// Image and sequence networks of real shapes (Fixtures/runtime/make_networks.py)
/// against onnxruntime's outputs, within rtol 1e-3 and atol 1e-5: a long
/// chain of float32 convolutions or attention layers sums in a different
/// order than onnxruntime's, so ONNX's atol 1e-7 is too tight for values near 0.
@Suite struct RealModelTests {
    static let cases = ["mnist-cnn", "resnet-mini", "transformer-encoder"]

    @Test(arguments: cases)
    func matchesOnnxRuntime(name: String) throws {
        let executor = try Executor(model: ONNXModel(contentsOf: Fixture.path("runtime/networks/\(name).onnx")))
        let input = try TensorFile.read(Fixture.path("runtime/\(name)/input.npy"))
        let outputs = try executor.run([executor.signature.inputs[0].name: input])
        for spec in executor.signature.outputs {
            let expected = try TensorFile.read(Fixture.path("runtime/\(name)/\(spec.name).npy"))
            let actual = try #require(outputs[spec.name])
            #expect(actual.shape == expected.shape, "\(spec.name)")
            #expect(actual.dataType == expected.dataType, "\(spec.name)")
            let mismatches = zip(actual.floats, expected.floats).enumerated().filter { _, pair in
                !(abs(pair.0 - pair.1) <= 1e-5 + 1e-3 * abs(pair.1))
            }
            #expect(mismatches.isEmpty, "\(name) \(spec.name): \(mismatches.count) of \(expected.elementCount) values differ, e.g. \(mismatches.prefix(3).map { "#\($0.offset): \($0.element.0) vs \($0.element.1)" })")
        }
    }
}
