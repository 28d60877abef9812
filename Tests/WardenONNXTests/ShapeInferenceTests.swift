import Foundation
import Testing
import WardenCore
@testable import WardenONNX

/// Static shape inference at load time: shapes of small models built in code and of
/// real exported networks, and the refusal of models whose shapes contradict each other.
@Suite struct ShapeInferenceTests {
    static let hint = "the model's shapes do not fit together, re-export it or check the input shapes it declares"

    // MARK: - Building models

    /// A float value whose dims are known sizes (Int) or named symbols (String).
    static func value(_ name: String, _ dims: [Any]) -> Onnx_ValueInfoProto { TestGraph.value(name, dims) }

    /// A float initializer of the given shape, filled with small values.
    static func weights(_ name: String, _ shape: [Int]) -> Onnx_TensorProto {
        let count = shape.reduce(1, *)
        return FusionTests.initializer(name, shape, (0..<count).map { Float($0 % 7) / 10 - 0.3 })
    }

    /// An int64 initializer (Reshape targets, Split sizes).
    static func int64s(_ name: String, _ values: [Int64]) -> Onnx_TensorProto {
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dataType = 7
        tensor.dims = [Int64(values.count)]
        tensor.int64Data = values
        return tensor
    }


    static func model(inputs: [Onnx_ValueInfoProto], initializers: [Onnx_TensorProto] = [], nodes: [Onnx_NodeProto],
                      outputs: [Onnx_ValueInfoProto], opset: Int64 = 17) throws -> ONNXModel {
        var graph = Onnx_GraphProto()
        graph.name = "shapes"
        graph.input = inputs
        graph.initializer = initializers
        graph.node = nodes
        graph.output = outputs
        return try TestGraph.model(graph, opset: opset, path: "shapes.onnx")
    }

    /// Loading must fail with `.invalidGraph` and exactly this message.
    static func expectRefusal(_ message: String, fusion: Bool = true, _ build: () throws -> ONNXModel) throws {
        let model = try build()
        do {
            _ = try Executor(model: model, options: .init(threads: 1, fusion: fusion))
            Issue.record("the model loaded; expected: \(message)")
        } catch let error as WardenError {
            #expect(error.code == .invalidGraph)
            #expect(error.message == message)
        }
    }

    // MARK: - Inferred shapes

    /// x [batch, 1, 28, 28] → Conv 3×3 pad 1 → Relu → MaxPool 2×2 stride 2 → Conv 3×3 stride 2 (no pad)
    /// → GlobalAveragePool → Flatten → Gemm(transB) → Softmax.
    static func cnn(classes: Int = 10, declared: [Any] = ["batch", 10]) throws -> ONNXModel {
        var gemm = FusionTests.node("Gemm", ["flat", "fc", "fcb"], ["logits"])
        gemm.attribute = [.int("transB", 1)]
        var flatten = FusionTests.node("Flatten", ["gap"], ["flat"])
        flatten.attribute = [.int("axis", 1)]
        var softmax = FusionTests.node("Softmax", ["logits"], ["probabilities"])
        softmax.attribute = [.int("axis", -1)]
        return try model(
            inputs: [value("x", ["batch", 1, 28, 28])],
            initializers: [weights("w1", [8, 1, 3, 3]), weights("b1", [8]), weights("w2", [16, 8, 3, 3]),
                           weights("fc", [classes, 16]), weights("fcb", [classes])],
            nodes: [
                FusionTests.node("Conv", ["x", "w1", "b1"], ["c1"], [("pads", [1, 1, 1, 1])]),
                FusionTests.node("Relu", ["c1"], ["r1"]),
                FusionTests.node("MaxPool", ["r1"], ["p1"], [("kernel_shape", [2, 2]), ("strides", [2, 2])]),
                FusionTests.node("Conv", ["p1", "w2"], ["c2"], [("strides", [2, 2])]),
                FusionTests.node("GlobalAveragePool", ["c2"], ["gap"]),
                flatten, gemm, softmax,
            ],
            outputs: [value("probabilities", declared)])
    }

    @Test(arguments: [true, false])
    func smallCNNShapesAreExactAndKeepTheBatchSymbol(fusion: Bool) throws {
        let executor = try Executor(model: try Self.cnn(), options: .init(threads: 1, fusion: fusion))
        let batch = TensorDimension.symbolic("batch")
        #expect(executor.inferredShape(of: "c1") == [batch, .fixed(8), .fixed(28), .fixed(28)])
        #expect(executor.inferredShape(of: "p1") == [batch, .fixed(8), .fixed(14), .fixed(14)])
        #expect(executor.inferredShape(of: "c2") == [batch, .fixed(16), .fixed(6), .fixed(6)])
        #expect(executor.inferredShape(of: "gap") == [batch, .fixed(16), .fixed(1), .fixed(1)])
        #expect(executor.inferredShape(of: "flat") == [batch, .fixed(16)])
        #expect(executor.inferredShape(of: "probabilities") == [batch, .fixed(10)])
        // The inferred shapes are the ones the kernels produce.
        let outputs = try executor.run(["x": Tensor(shape: [3, 1, 28, 28], floats: Array(repeating: 0.5, count: 3 * 28 * 28))])
        #expect(outputs["probabilities"]?.shape == [3, 10])
    }

    /// x [batch, 8] → MatMul [8, 6] → Add [6] → Relu → MatMul [inner, 3] → Reshape [-1, 3] → Transpose.
    static func mlp(inner: Int = 6, declared: [Any] = [3, "batch"]) throws -> ONNXModel {
        try model(
            inputs: [value("x", ["batch", 8])],
            initializers: [weights("w1", [8, 6]), weights("b1", [6]), weights("w2", [inner, 3]), int64s("target", [-1, 3])],
            nodes: [
                FusionTests.node("MatMul", ["x", "w1"], ["h"]),
                FusionTests.node("Add", ["h", "b1"], ["hb"]),
                FusionTests.node("Relu", ["hb"], ["r"]),
                FusionTests.node("MatMul", ["r", "w2"], ["z"]),
                FusionTests.node("Reshape", ["z", "target"], ["zr"]),
                FusionTests.node("Transpose", ["zr"], ["y"]),
            ],
            outputs: [value("y", declared)])
    }

    @Test func mlpShapesKeepTheBatchSymbolThroughReshapeAndTranspose() throws {
        let executor = try Executor(model: try Self.mlp())
        #expect(executor.inferredShape(of: "hb") == [.symbolic("batch"), .fixed(6)])
        #expect(executor.inferredShape(of: "zr") == [.symbolic("batch"), .fixed(3)])
        #expect(executor.inferredShape(of: "y") == [.fixed(3), .symbolic("batch")])
    }

    /// Batched and 1-D MatMul, reductions, ArgMax, Unsqueeze/Squeeze by input (opset 17), Gather and Shape.
    @Test func matMulReductionsAndIndexingKeepTheRules() throws {
        var reduce = FusionTests.node("ReduceMean", ["b"], ["m"], [("axes", [-1])])
        reduce.attribute.append(.int("keepdims", 0))
        var argmax = FusionTests.node("ArgMax", ["b"], ["am"])
        argmax.attribute = [.int("axis", 1), .int("keepdims", 0)]
        var gather = FusionTests.node("Gather", ["b", "picks"], ["g"])
        gather.attribute = [.int("axis", 2)]
        let model = try Self.model(
            inputs: [Self.value("x", ["batch", 4, 8])],
            initializers: [Self.weights("v", [8]), Self.weights("w", [1, 8, 5]), Self.int64s("zero", [0]),
                           Self.int64s("picks", [4, 0, 1])],
            nodes: [
                FusionTests.node("MatMul", ["x", "v"], ["a"]),
                FusionTests.node("MatMul", ["x", "w"], ["b"]),
                reduce, argmax, gather,
                FusionTests.node("Unsqueeze", ["a", "zero"], ["u"]),
                FusionTests.node("Squeeze", ["u", "zero"], ["s"]),
                FusionTests.node("Shape", ["b"], ["y"]),
            ],
            outputs: [Self.value("y", [3])])
        let executor = try Executor(model: model)
        let batch = TensorDimension.symbolic("batch")
        #expect(executor.inferredShape(of: "a") == [batch, .fixed(4)])
        #expect(executor.inferredShape(of: "b") == [batch, .fixed(4), .fixed(5)])
        #expect(executor.inferredShape(of: "m") == [batch, .fixed(4)])
        #expect(executor.inferredShape(of: "am") == [batch, .fixed(5)])
        #expect(executor.inferredShape(of: "g") == [batch, .fixed(4), .fixed(3)])
        #expect(executor.inferredShape(of: "u") == [.fixed(1), batch, .fixed(4)])
        #expect(executor.inferredShape(of: "s") == [batch, .fixed(4)])
        #expect(executor.inferredShape(of: "y") == [.fixed(3)])
    }

    @Test(arguments: RealModelTests.cases)
    func realNetworksOutputsMatchTheirDeclaredShapes(name: String) throws {
        let executor = try Executor(model: try ONNXModel(contentsOf: Fixture.path("runtime/networks/\(name).onnx")))
        for spec in executor.signature.outputs {
            #expect(executor.inferredShape(of: spec.name) == spec.shape, "\(name) output \(spec.name)")
        }
        #expect(executor.signature.outputs.allSatisfy { executor.inferredShape(of: $0.name) != nil }, "\(name): every output's shape is inferred")
    }

    /// Tile has no inference rule: its output and what follows stay unknown, and the model loads and runs.
    @Test func opsWithoutARuleLeaveShapesUnknownAndTheModelLoads() throws {
        let model = try Self.model(
            inputs: [Self.value("x", [2, 6])],
            initializers: [Self.int64s("repeats", [1, 2])],
            nodes: [FusionTests.node("Tile", ["x", "repeats"], ["t"]), FusionTests.node("Relu", ["t"], ["y"])],
            outputs: [Self.value("y", [2, 5])]) // wrong, but unknowable without a Tile rule
        let executor = try Executor(model: model)
        #expect(executor.inferredShape(of: "t") == nil)
        #expect(executor.inferredShape(of: "y") == nil)
        let outputs = try executor.run(["x": Tensor(shape: [2, 6], floats: Array(repeating: 1, count: 12))])
        #expect(outputs["y"]?.shape == [2, 12])
    }

    @Test func splitSizesFromAnInputOrEqualParts() throws {
        var bySizes = FusionTests.node("Split", ["x", "sizes"], ["a", "b"])
        bySizes.attribute = [.int("axis", 1)]
        var equal = FusionTests.node("Split", ["x"], ["c", "d", "e"])
        equal.attribute = [.int("axis", -1)]
        let model = try Self.model(
            inputs: [Self.value("x", ["batch", 6])], initializers: [Self.int64s("sizes", [2, 4])],
            nodes: [bySizes, equal, FusionTests.node("Relu", ["b"], ["y"])], outputs: [Self.value("y", ["batch", 4])])
        let executor = try Executor(model: model)
        #expect(executor.inferredShape(of: "a") == [.symbolic("batch"), .fixed(2)])
        #expect(executor.inferredShape(of: "y") == [.symbolic("batch"), .fixed(4)])
        #expect(executor.inferredShape(of: "e") == [.symbolic("batch"), .fixed(2)])
    }

    // MARK: - Refusals (each next to the same model that fits, so the refusal is the mismatch's doing)

    @Test(arguments: [true, false])
    func matMulInnerDimensionMismatchIsRefused(fusion: Bool) throws {
        _ = try Executor(model: try Self.mlp(inner: 6), options: .init(threads: 1, fusion: fusion))
        try Self.expectRefusal("MatMul 'z': inner dimensions differ, [batch, 6] × [5, 3]; \(Self.hint)", fusion: fusion) {
            try Self.mlp(inner: 5)
        }
    }

    static func add(_ b: [Int]) throws -> ONNXModel {
        try model(inputs: [value("x", [3, 4])], initializers: [weights("b", b)],
                  nodes: [FusionTests.node("Add", ["x", "b"], ["y"])], outputs: [value("y", [3, 4])])
    }

    @Test func broadcastMismatchIsRefused() throws {
        _ = try Executor(model: try Self.add([4]))
        _ = try Executor(model: try Self.add([3, 1]))
        try Self.expectRefusal("Add 'y': cannot broadcast [3, 4] with [5]; \(Self.hint)") { try Self.add([5]) }
    }

    static func conv(inChannels: Int) throws -> ONNXModel {
        try model(inputs: [value("x", [1, 3, 8, 8])], initializers: [weights("w", [4, inChannels, 3, 3])],
                  nodes: [FusionTests.node("Conv", ["x", "w"], ["y"])], outputs: [value("y", [1, 4, 6, 6])])
    }

    @Test func convChannelMismatchIsRefused() throws {
        _ = try Executor(model: try Self.conv(inChannels: 3))
        try Self.expectRefusal("Conv 'y': the input [1, 3, 8, 8] has 3 channels but the weights [4, 2, 3, 3] with group 1 expect 2; \(Self.hint)") {
            try Self.conv(inChannels: 2)
        }
    }

    static func reshape(_ target: [Int64]) throws -> ONNXModel {
        try model(inputs: [value("x", [2, 3])], initializers: [int64s("target", target)],
                  nodes: [FusionTests.node("Reshape", ["x", "target"], ["y"])], outputs: [value("y", [3, 2])])
    }

    @Test func impossibleConstantReshapeIsRefused() throws {
        _ = try Executor(model: try Self.reshape([3, 2]))
        _ = try Executor(model: try Self.reshape([3, -1]))
        try Self.expectRefusal("Reshape 'y': cannot reshape [2, 3] (6 elements) to [4, 2] (8 elements); \(Self.hint)") {
            try Self.reshape([4, 2])
        }
        try Self.expectRefusal("Reshape 'y': cannot reshape [2, 3] (6 elements) to [4, -1]: 6 is not a multiple of 4; \(Self.hint)") {
            try Self.reshape([4, -1])
        }
    }

    static func concat(_ second: [Any]) throws -> ONNXModel {
        var node = FusionTests.node("Concat", ["x", "c"], ["y"])
        node.attribute = [.int("axis", 1)]
        return try model(inputs: [value("x", ["batch", 3, 4]), value("c", second)],
                         nodes: [node], outputs: [value("y", ["batch", 5, 4])])
    }

    @Test func concatMismatchOffTheAxisIsRefused() throws {
        let executor = try Executor(model: try Self.concat(["batch", 2, 4]))
        #expect(executor.inferredShape(of: "y") == [.symbolic("batch"), .fixed(5), .fixed(4)])
        try Self.expectRefusal("Concat 'y': the inputs differ off axis 1, [batch, 3, 4] and [batch, 2, 5]; \(Self.hint)") {
            try Self.concat(["batch", 2, 5])
        }
    }

    @Test func declaredOutputShapeContradictingTheInferredOneIsRefused() throws {
        _ = try Executor(model: try Self.cnn(classes: 10, declared: ["batch", 10]))
        _ = try Executor(model: try Self.cnn(classes: 10, declared: ["n", 10])) // a different symbol is no contradiction
        try Self.expectRefusal("graph output 'probabilities' is declared as [batch, 10] but the model computes [batch, 12]; the model's shapes do not fit together, re-export it or fix the output shape it declares") {
            try Self.cnn(classes: 12, declared: ["batch", 10])
        }
    }
}
