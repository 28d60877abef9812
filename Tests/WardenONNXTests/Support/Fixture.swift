import Foundation
@_exported import WardenTestSupport
import WardenONNX
import WardenRuntime
import WardenTensor

/// The committed test models (see Fixtures/models/make_models.py).
enum Fixture {
    /// The single-file models, by name without `.onnx`.
    static let singleFileModels = ["mlp-v1", "mlp-v1-retrained", "mlp-extra-layer", "mlp-input-5", "mlp-input-double"]

    /// The path of a committed fixture, relative to `Fixtures/`.
    static func path(_ relative: String) -> String {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent(relative).path
    }

    /// The path of a model: `mlp-v1` or `mlp-external/model`.
    static func model(_ name: String) -> String {
        path("models/\(name).onnx")
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: model(name))))
    }

    /// The parsed ModelProto of a model, for mutating in tests.
    static func proto(_ name: String) throws -> Onnx_ModelProto {
        try Onnx_ModelProto(serializedBytes: Data(contentsOf: URL(fileURLWithPath: model(name))))
    }
}

extension Onnx_ModelProto {
    /// Serializes and loads the model as if it were the file at `path` (which anchors external data).
    func loaded(at path: String = Fixture.model("mutant")) throws -> ONNXModel {
        let data: Data = try serializedBytes()
        return try ONNXModel(serialized: data, path: path)
    }

    /// Serializes, loads and inspects the model.
    func inspected(at path: String = Fixture.model("mutant")) throws -> ModelInspection {
        try ONNXInspector().inspect(loaded(at: path))
    }

    /// Applies `body` to the main graph.
    func withGraph(_ body: (inout Onnx_GraphProto) throws -> Void) rethrows -> Onnx_ModelProto {
        var copy = self
        try body(&copy.graph)
        return copy
    }
}

/// A fixture does not hold what a test expects: the test, not the code under test, is broken.
struct FixtureMismatch: Error, CustomStringConvertible {
    let description: String
}

extension Onnx_GraphProto {
    /// The index of the node called `name`.
    func nodeIndex(_ name: String) throws -> Int {
        guard let index = node.firstIndex(where: { $0.name == name }) else { throw FixtureMismatch(description: "no node '\(name)' in the fixture") }
        return index
    }

    /// The index of the initializer called `name`.
    func initializerIndex(_ name: String) throws -> Int {
        guard let index = initializer.firstIndex(where: { $0.name == name }) else {
            throw FixtureMismatch(description: "no initializer '\(name)' in the fixture")
        }
        return index
    }
}

/// Inspects the model file at `path`.
func inspect(_ path: String) throws -> ModelInspection {
    try ONNXInspector().inspect(ONNXModel(contentsOf: path))
}
