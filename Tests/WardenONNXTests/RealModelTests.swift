import Foundation
import Testing
import WardenCore
@testable import WardenONNX
@testable import WardenRuntime
@testable import WardenTensor

/// Image and sequence networks of real shapes against onnxruntime's outputs,
/// within rtol 1e-3 and atol 1e-5: a long chain of float32 convolutions or
/// attention layers sums in a different order than onnxruntime's, so ONNX's
/// atol 1e-7 is too tight for values near 0.
@Suite struct RealModelTests {
    /// Written node by node with onnx.helper (Fixtures/runtime/make_networks.py).
    static let cases = ["mnist-cnn", "resnet-mini", "transformer-encoder"]

    /// Keras models converted by tf2onnx (Fixtures/runtime/make_keras.py): NHWC
    /// inputs behind Transposes, Tensordot's Shape/Gather/Concat/Cast chains,
    /// asymmetric 'same' padding, decomposed LayerNormalization.
    static let kerasCases = ["mlp", "mnist-cnn", "resnet", "transformer"]

    @Test(arguments: cases)
    func matchesOnnxRuntime(name: String) throws {
        try expectMatchesOnnxRuntime(name, model: Fixture.path("runtime/networks/\(name).onnx"), atol: 1e-5)
    }

    @Test(arguments: kerasCases)
    func kerasModelMatchesOnnxRuntime(name: String) throws {
        try expectMatchesOnnxRuntime("keras-\(name)", model: Fixture.path("runtime/keras/\(name).onnx"), atol: 1e-5)
    }
}
