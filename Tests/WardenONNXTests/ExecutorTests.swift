import Foundation
import Testing
import WardenCore
@testable import WardenONNX
@testable import WardenRuntime
@testable import WardenTensor

/// The Swift executor against onnxruntime's outputs on real exported models
/// (Fixtures/runtime/README.md), and its refusals.
@Suite struct ExecutorTests {
    static let sklearn = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("WardenModelTests/Fixtures/sklearn").path

    static let cases: [(String, String)] = [
        ("mlp-v1", Fixture.model("mlp-v1")),
        ("mlp-external", Fixture.path("models/mlp-external")),
        ("embedding-external", Fixture.path("runtime/embedding-external")),
        ("sklearn-logreg", "\(sklearn)/logreg-a.onnx"),
        ("sklearn-mlp-1layer", "\(sklearn)/mlp-1layer.onnx"),
        ("sklearn-mlp-2layer-external", "\(sklearn)/mlp-2layer-external"),
        ("sklearn-forest", "\(sklearn)/forest.onnx"),
        ("gbdt-classifier", Fixture.path("runtime/trees/gbdt-classifier.onnx")),
        ("gbdt-regressor", Fixture.path("runtime/trees/gbdt-regressor.onnx")),
        ("linear-regressor", Fixture.path("runtime/linear/linear-regressor.onnx")),
        ("ridge-2targets", Fixture.path("runtime/linear/ridge-2targets.onnx")),
    ]

    @Test(arguments: cases)
    func matchesOnnxRuntime(name: String, model: String) throws {
        try expectMatchesOnnxRuntime(name, model: model, atol: 1e-7)
    }

    @Test func unsupportedOpsAreListedInOneError() throws {
        var proto = try Fixture.proto("mlp-v1")
        for op in ["GRU", "LSTM"] {
            var node = Onnx_NodeProto()
            node.opType = op
            node.input = ["input"]
            node.output = ["unused_\(op)"]
            proto.graph.node.append(node)
        }
        let model = try ONNXModel(serialized: try proto.serializedData(), path: "conv.onnx")
        expectWardenError(.unsupportedOperator, containing: "ai.onnx GRU (opset 17), ai.onnx LSTM (opset 17)") {
            _ = try Executor(model: model)
        }
    }

    @Test func badInputsAreClearErrors() throws {
        let executor = try Executor(model: ONNXModel(contentsOf: Fixture.model("mlp-v1")))
        let good = Tensor(shape: [2, 4], floats: Array(repeating: 0.5, count: 8))
        expectWardenError(.invalidArgument, containing: "input 'input' (float32 [batch, 4]) is missing") { _ = try executor.run([:]) }
        expectWardenError(.invalidArgument, containing: "the model has no input 'x'") { _ = try executor.run(["input": good, "x": good]) }
        expectWardenError(.invalidArgument, containing: "input 'input' must be float32, got int64") {
            _ = try executor.run(["input": Tensor(shape: [2, 4], int64s: Array(repeating: 1, count: 8))])
        }
        expectWardenError(.invalidArgument, containing: "input 'input' must have rank 2") {
            _ = try executor.run(["input": Tensor(shape: [8], floats: Array(repeating: 0.5, count: 8))])
        }
        expectWardenError(.invalidArgument, containing: "input 'input' dim 1 must be 4") {
            _ = try executor.run(["input": Tensor(shape: [2, 3], floats: Array(repeating: 0.5, count: 6))])
        }
        let shape = try executor.run(["input": good])["probabilities"]?.shape
        #expect(shape == [2, 3])
    }

    @Test func nanAndInfinityPassThroughAsIEEESays() throws {
        let executor = try Executor(model: ONNXModel(contentsOf: Fixture.model("mlp-v1")))
        let input = Tensor(shape: [2, 4], floats: [.nan, 1, 2, 3, 0, 0, 0, 0])
        let output = try #require(try executor.run(["input": input])["probabilities"])
        let values = output.floats
        let firstRowIsNaN = values[0..<3].allSatisfy { $0.isNaN }
        let secondRowIsFinite = values[3..<6].allSatisfy { $0.isFinite }
        #expect(firstRowIsNaN)
        #expect(secondRowIsFinite)
    }

    @Test func anImpossibleReshapeNamesTheNode() throws {
        var proto = try Fixture.proto("mlp-v1")
        var shape = Onnx_TensorProto()
        shape.name = "bad_shape"
        shape.dataType = 7
        shape.dims = [2]
        shape.int64Data = [5, 7]
        proto.graph.initializer.append(shape)
        var node = Onnx_NodeProto()
        node.opType = "Reshape"
        node.name = "reshape"
        node.input = ["probabilities_raw", "bad_shape"]
        node.output = ["probabilities"]
        let index = try #require(proto.graph.node.firstIndex { $0.output.first == "probabilities" })
        proto.graph.node[index].output = ["probabilities_raw"]
        proto.graph.node.append(node)
        // Without a declared output shape the load cannot know [batch, 3] never holds 35 elements; the kernel reports it.
        let output = try #require(proto.graph.output.firstIndex { $0.name == "probabilities" })
        proto.graph.output[output].type.tensorType.clearShape()
        let model = try ONNXModel(serialized: try proto.serializedData(), path: "reshape.onnx")
        let executor = try Executor(model: model)
        expectWardenError(.invalidArgument, containing: "Reshape 'reshape': cannot reshape [1, 3] (3 elements) to [5, 7]") {
            _ = try executor.run(["input": Tensor(shape: [1, 4], floats: [1, 2, 3, 4])])
        }
    }

    @Test func numPyFilesRoundTripAndBadOnesAreRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let tensors = [
            Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6]),
            Tensor(shape: [4], int64s: [1, -2, 3, Int64.max]),
            Tensor(shape: [], floats: [7]),
            Tensor(shape: [2], storage: .bool([true, false])),
        ]
        for (index, tensor) in tensors.enumerated() {
            let path = directory.file("t\(index).npy")
            try NumPyFile.write(tensor, to: path)
            #expect(try TensorFile.read(path) == tensor)
        }
        try directory.write("bad.npy", "not numpy")
        expectWardenError(.invalidArgument, containing: "the magic string is missing") { _ = try TensorFile.read(directory.file("bad.npy")) }
        var truncated = try Data(contentsOf: URL(fileURLWithPath: directory.file("t0.npy")))
        truncated.removeLast(4)
        try truncated.write(to: URL(fileURLWithPath: directory.file("short.npy")))
        expectWardenError(.invalidArgument, containing: "holds 20 data bytes but shape [2, 3] of float32 needs 24") { _ = try TensorFile.read(directory.file("short.npy")) }
    }

    @Test func oneExecutorServesConcurrentCalls() async throws {
        let executor = try Executor(model: ONNXModel(contentsOf: "\(Self.sklearn)/mlp-1layer.onnx"))
        let input = try TensorFile.read(Fixture.path("runtime/sklearn-mlp-1layer/input.npy"))
        let expected = try executor.run(["input": input])
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<16 { group.addTask { (try executor.run(["input": input])) == expected } }
            for try await same in group { #expect(same) }
        }
    }
}

/// Kernels refuse impossible requests with errors that name the node.
@Suite struct KernelRefusalTests {
    /// A one-node model: `op` over float input `x` [3] and an int64 initializer `k`.
    static func model(_ op: String, constant: [Int64], attributes: [Onnx_AttributeProto] = []) throws -> Executor {
        var graph = Onnx_GraphProto()
        graph.name = "g"
        var x = Onnx_ValueInfoProto()
        x.name = "x"
        x.type.tensorType.elemType = 1
        var dim = Onnx_TensorShapeProto.Dimension()
        dim.dimValue = 3
        x.type.tensorType.shape.dim = [dim]
        graph.input = [x]
        var k = Onnx_TensorProto()
        k.name = "k"
        k.dataType = 7
        k.dims = [Int64(constant.count)]
        k.int64Data = constant
        graph.initializer = [k]
        var node = Onnx_NodeProto()
        node.opType = op
        node.name = "n"
        node.input = op == "ConstantOfShape" ? ["k"] : ["x", "k"]
        node.output = ["y"]
        node.attribute = attributes
        graph.node = [node]
        graph.output = [TestGraph.value("y", nil)]
        return try Executor(model: TestGraph.model(graph, path: "\(op).onnx"))
    }

    static let x = Tensor(shape: [3], floats: [1, 2, 3])

    @Test func gatherIndicesOutOfRange() throws {
        let executor = try Self.model("Gather", constant: [0, 3])
        expectWardenError(.invalidArgument, containing: "Gather 'n': index 3 is out of range for axis 0 of size 3") { _ = try executor.run(["x": Self.x]) }
        let negative = try Self.model("Gather", constant: [-1, -4])
        expectWardenError(.invalidArgument, containing: "index -4 is out of range") { _ = try negative.run(["x": Self.x]) }
        let fine = try Self.model("Gather", constant: [-1, 0])
        #expect(try fine.run(["x": Self.x])["y"]?.floats == [3, 1])
    }

    /// Concat of inputs whose shapes are known only at run time: parts that differ off the axis are refused, not a crash.
    @Test func concatOfPartsThatDoNotFit() throws {
        var graph = Onnx_GraphProto()
        graph.input = [TestGraph.value("a", nil), TestGraph.value("b", nil)]
        graph.output = [TestGraph.value("y", nil)]
        var node = ConstantFoldingTests.node("Concat", ["a", "b"], ["y"])
        node.attribute = [.int("axis", 1)]
        graph.node = [node]
        let executor = try Executor(model: TestGraph.model(graph, path: "concat.onnx"))
        let a = Tensor(shape: [2, 2, 2], floats: (0..<8).map(Float.init))
        let b = Tensor(shape: [2, 1, 2], floats: [100, 101, 102, 103])
        let y = try executor.run(["a": a, "b": b])["y"]
        #expect(y?.shape == [2, 3, 2])
        #expect(y?.floats == [0, 1, 2, 3, 100, 101, 4, 5, 6, 7, 102, 103])
        expectWardenError(.invalidArgument, containing: "Concat 'y': inputs [2, 2, 2] and [3, 1, 2] differ outside axis 1") {
            _ = try executor.run(["a": a, "b": Tensor(shape: [3, 1, 2], floats: Array(repeating: 0, count: 6))])
        }
        expectWardenError(.invalidArgument, containing: "differ outside axis 1") {
            _ = try executor.run(["a": a, "b": Tensor(shape: [2, 1], floats: [0, 0])])
        }
    }

    /// LinearRegressor and LinearClassifier refuse attributes that do not fit their input, naming what is wrong.
    @Test func linearModelsWithAttributesThatDoNotFit() throws {
        func run(_ op: String, _ attributes: [Onnx_AttributeProto], _ x: Tensor = Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])) throws -> [Tensor] {
            var node = ConstantFoldingTests.node(op, ["x"], ["y", "z"])
            node.domain = "ai.onnx.ml"
            node.attribute = attributes
            let kernel = try #require(Kernels.all["ai.onnx.ml.\(op)"])
            return try kernel(NodeContext(node: node, opset: 1, resolver: ExternalDataResolver(directory: ".")), [x])
        }
        let two = [Onnx_AttributeProto.floats("coefficients", [1, 0, 0, 0, 1, 1]), .floats("intercepts", [10, 20]), .int("targets", 2)]
        #expect(try run("LinearRegressor", two) == [Tensor(shape: [2, 2], floats: [11, 25, 14, 31])])
        #expect(try run("LinearRegressor", two, Tensor(shape: [3], floats: [1, 2, 3])) == [Tensor(shape: [1, 2], floats: [11, 25])])
        expectWardenError(.invalidArgument, containing: "LinearRegressor 'y': has 6 coefficients, but 3 target(s) × 3 features need 9") {
            _ = try run("LinearRegressor", [.floats("coefficients", [1, 0, 0, 0, 1, 1]), .int("targets", 3)])
        }
        expectWardenError(.invalidArgument, containing: "has 1 intercepts for 2 target(s)") {
            _ = try run("LinearRegressor", [.floats("coefficients", [1, 0, 0, 0, 1, 1]), .floats("intercepts", [1]), .int("targets", 2)])
        }
        expectWardenError(.invalidArgument, containing: "targets must be at least 1, got 0") { _ = try run("LinearRegressor", [.int("targets", 0)]) }
        expectWardenError(.invalidArgument, containing: "X must be [N, C] or [C]") {
            _ = try run("LinearRegressor", [.floats("coefficients", [1])], Tensor(shape: [1, 1, 1], floats: [1]))
        }
        expectWardenError(.invalidArgument, containing: "LinearClassifier 'y': has 1 intercepts for 2 classes") {
            _ = try run("LinearClassifier", [.floats("coefficients", [1, 0, 0, 0, 1, 1]), .floats("intercepts", [1]), .ints("classlabels_ints", [0, 1])])
        }
        expectWardenError(.invalidArgument, containing: "has 1 class labels for 2 classes") {
            _ = try run("LinearClassifier", [.floats("coefficients", [1, 0, 0, 0, 1, 1]), .ints("classlabels_ints", [7])])
        }
    }

    @Test func shapesThatOverflowOrAreNegative() throws {
        let huge = try Self.model("ConstantOfShape", constant: [Int64.max, 4])
        expectWardenError(.invalidArgument, containing: "ConstantOfShape 'n': shape") { _ = try huge.run(["x": Self.x]) }
        let negative = try Self.model("ConstantOfShape", constant: [-2])
        expectWardenError(.invalidArgument, containing: "is invalid or too large") { _ = try negative.run(["x": Self.x]) }
        let tile = try Self.model("Tile", constant: [-1])
        expectWardenError(.invalidArgument, containing: "Tile 'n': repeats [-1] do not fit [3]") { _ = try tile.run(["x": Self.x]) }
        let reshape = try Self.model("Reshape", constant: [-1, -1])
        expectWardenError(.invalidArgument, containing: "cannot reshape [3] to [-1, -1]") { _ = try reshape.run(["x": Self.x]) }
        // A constant target the input cannot broadcast to is refused when the model loads (see ShapeInferenceTests).
        expectWardenError(.invalidGraph, containing: "Expand 'n': cannot expand [3] to [2, 4]") { _ = try Self.model("Expand", constant: [2, 4]) }
    }
}
