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
        try expectMatchesOnnxRuntime(name, model: Fixture.path("runtime/networks/\(name).onnx"), atol: 1e-5)
    }
}
