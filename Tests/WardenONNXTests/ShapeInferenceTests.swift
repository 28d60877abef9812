import Foundation
import Testing
import WardenCore
@testable import WardenONNX
@testable import WardenRuntime
@testable import WardenTensor

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

    /// An int64 initializer (Reshape targets, Split sizes); a scalar when `scalar`.
    static func int64s(_ name: String, _ values: [Int64], scalar: Bool = false) -> Onnx_TensorProto {
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dataType = 7
        tensor.dims = scalar ? [] : [Int64(values.count)]
        tensor.int64Data = values
        return tensor
    }

    /// A node with attributes of any type.
    static func node(_ op: String, _ inputs: [String], _ outputs: [String], _ attributes: [Onnx_AttributeProto],
                     domain: String = "") -> Onnx_NodeProto {
        var node = FusionTests.node(op, inputs, outputs)
        node.attribute = attributes
        node.domain = domain
        return node
    }

    static func floats(_ count: Int) -> [Float] { (0..<count).map { Float($0 % 5) / 4 } }


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

    /// Tile repeats fed at run time: the tiled dims and what follows stay unknown, and the model loads and runs.
    @Test func sizesComputedFromRunTimeDataStayUnknownAndTheModelLoads() throws {
        let model = try Self.model(
            inputs: [Self.value("x", [2, 6]), TestGraph.value("repeats", [2], type: 7)],
            nodes: [FusionTests.node("Tile", ["x", "repeats"], ["t"]), FusionTests.node("Relu", ["t"], ["y"])],
            outputs: [Self.value("y", [2, 5])]) // wrong, but unknowable before the repeats arrive
        let executor = try Executor(model: model)
        #expect(executor.inferredShape(of: "t") == [.unknown, .unknown])
        #expect(executor.inferredShape(of: "y") == [.unknown, .unknown])
        let outputs = try executor.run(["x": Tensor(shape: [2, 6], floats: Array(repeating: 1, count: 12)),
                                        "repeats": Tensor(shape: [2], int64s: [1, 2])])
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

    // MARK: - Sizes from constant inputs and attributes

    /// Slice with clamped, negative and reverse bounds; a whole-axis slice keeps the batch symbol; bounds fed at run time leave only their axis unknown.
    @Test(arguments: [true, false])
    func sliceSizesFollowTheKernelsClamping(fusion: Bool) throws {
        let model = try Self.model(
            inputs: [Self.value("x", ["batch", 10, 8]), TestGraph.value("from", [1], type: 7)],
            initializers: [Self.int64s("starts", [1, -3]), Self.int64s("ends", [100, 0]), Self.int64s("axes", [1, 2]),
                           Self.int64s("steps", [3, -1]), Self.int64s("zero", [0]), Self.int64s("end", [Int64.max]), Self.int64s("one", [1])],
            nodes: [
                FusionTests.node("Slice", ["x", "starts", "ends", "axes", "steps"], ["a"]),
                FusionTests.node("Slice", ["x", "zero", "end", "zero"], ["b"]),
                FusionTests.node("Slice", ["x", "from", "end", "one"], ["c"]),
            ],
            outputs: [Self.value("a", ["batch", 3, 5]), Self.value("b", ["batch", 10, 8]), Self.value("c", ["batch", "rest", 8])])
        let executor = try Executor(model: model, options: .init(threads: 1, fusion: fusion))
        let batch = TensorDimension.symbolic("batch")
        #expect(executor.inferredShape(of: "a") == [batch, .fixed(3), .fixed(5)])
        #expect(executor.inferredShape(of: "b") == [batch, .fixed(10), .fixed(8)])
        #expect(executor.inferredShape(of: "c") == [batch, .unknown, .fixed(8)])
        let outputs = try executor.run(["x": Tensor(shape: [2, 10, 8], floats: Self.floats(160)), "from": Tensor(shape: [1], int64s: [4])])
        #expect(outputs["a"]?.shape == [2, 3, 5])
        #expect(outputs["c"]?.shape == [2, 6, 8])
    }

    /// Pad (pads as an input), Expand, Tile, ConstantOfShape and Range from constants, as the kernels compute them.
    @Test(arguments: [true, false])
    func padExpandTileConstantOfShapeAndRangeFromConstants(fusion: Bool) throws {
        let model = try Self.model(
            inputs: [Self.value("x", ["batch", 3, 4]), Self.value("v", [3, 1])],
            initializers: [Self.int64s("pads", [0, 1, -1, 0, 2, 0]), Self.int64s("target", [2, 1, 4]), Self.int64s("repeats", [1, 2, 3]),
                           Self.int64s("dims", [2, 5]), Self.int64s("start", [0], scalar: true), Self.int64s("limit", [10], scalar: true),
                           Self.int64s("delta", [3], scalar: true), FusionTests.initializer("low", [], [1]),
                           FusionTests.initializer("high", [], [2]), FusionTests.initializer("step", [], [0.25])],
            nodes: [
                FusionTests.node("Pad", ["x", "pads"], ["padded"]),
                FusionTests.node("Expand", ["v", "target"], ["expanded"]),
                FusionTests.node("Tile", ["x", "repeats"], ["tiled"]),
                FusionTests.node("ConstantOfShape", ["dims"], ["filled"]),
                FusionTests.node("Range", ["start", "limit", "delta"], ["steps"]),
                FusionTests.node("Range", ["low", "high", "step"], ["fractions"]),
            ],
            outputs: ["padded", "expanded", "tiled", "filled", "steps", "fractions"].map { TestGraph.value($0, nil) })
        let executor = try Executor(model: model, options: .init(threads: 1, fusion: fusion))
        let batch = TensorDimension.symbolic("batch")
        let expected: [String: [TensorDimension]] = [
            "padded": [batch, .fixed(6), .fixed(3)], "expanded": [.fixed(2), .fixed(3), .fixed(4)],
            "tiled": [batch, .fixed(6), .fixed(12)], "filled": [.fixed(2), .fixed(5)], "steps": [.fixed(4)], "fractions": [.fixed(4)],
        ]
        for (name, shape) in expected { #expect(executor.inferredShape(of: name) == shape, "\(name)") }
        let outputs = try executor.run(["x": Tensor(shape: [2, 3, 4], floats: Self.floats(24)), "v": Tensor(shape: [3, 1], floats: [1, 2, 3])])
        for (name, shape) in expected {
            #expect(outputs[name]?.shape == shape.map { dim in if case .fixed(let size) = dim { Int(size) } else { 2 } }, "\(name)")
        }
    }

    /// ConvTranspose with strides, pads, output_padding and group, and with output_shape; checked against the kernel.
    @Test func convTransposeSizesComeFromTheKernelsGeometry() throws {
        var strided = Self.node("ConvTranspose", ["x", "w"], ["y"], [.ints("strides", [2, 2]), .ints("pads", [1, 1, 1, 1]),
                                                                     .ints("output_padding", [1, 1]), .int("group", 2)])
        strided.name = "up"
        let shaped = Self.node("ConvTranspose", ["x", "w"], ["z"], [.ints("strides", [2, 2]), .int("group", 2), .ints("output_shape", [9, 9])])
        let model = try Self.model(
            inputs: [Self.value("x", ["batch", 4, 5, 5])], initializers: [Self.weights("w", [4, 3, 3, 3])],
            nodes: [strided, shaped], outputs: [TestGraph.value("y", nil), TestGraph.value("z", nil)])
        let executor = try Executor(model: model)
        let batch = TensorDimension.symbolic("batch")
        #expect(executor.inferredShape(of: "y") == [batch, .fixed(6), .fixed(10), .fixed(10)])
        #expect(executor.inferredShape(of: "z") == [batch, .fixed(6), .fixed(9), .fixed(9)])
        let outputs = try executor.run(["x": Tensor(shape: [1, 4, 5, 5], floats: Self.floats(100))])
        #expect(outputs["y"]?.shape == [1, 6, 10, 10])
        #expect(outputs["z"]?.shape == [1, 6, 9, 9])
    }

    /// Size, Shrink, InstanceNormalization, LRN and LayerNormalization's Mean and InvStdDev outputs.
    @Test func normalizationsSizeAndShrinkKeepTheirRules() throws {
        let model = try Self.model(
            inputs: [Self.value("x", ["batch", 4, 6])],
            initializers: [Self.weights("scale", [4]), Self.weights("bias", [4]), Self.weights("gamma", [4, 6])],
            nodes: [
                FusionTests.node("Size", ["x"], ["size"]),
                FusionTests.node("Shrink", ["x"], ["shrunk"]),
                FusionTests.node("InstanceNormalization", ["x", "scale", "bias"], ["instance"]),
                Self.node("LRN", ["x"], ["lrn"], [.int("size", 3)]),
                Self.node("LayerNormalization", ["x", "gamma"], ["layer", "mean", "deviation"], [.int("axis", 1)]),
            ],
            outputs: ["size", "shrunk", "instance", "lrn", "layer", "mean", "deviation"].map { TestGraph.value($0, nil) })
        let executor = try Executor(model: model)
        let x: [TensorDimension] = [.symbolic("batch"), .fixed(4), .fixed(6)]
        #expect(executor.inferredShape(of: "size") == [])
        for name in ["shrunk", "instance", "lrn", "layer"] { #expect(executor.inferredShape(of: name) == x, "\(name)") }
        #expect(executor.inferredShape(of: "mean") == [.symbolic("batch"), .fixed(1), .fixed(1)])
        #expect(executor.inferredShape(of: "deviation") == [.symbolic("batch"), .fixed(1), .fixed(1)])
        let outputs = try executor.run(["x": Tensor(shape: [2, 4, 6], floats: Self.floats(48))])
        #expect(outputs["mean"]?.shape == [2, 1, 1])
        #expect(outputs["size"]?.shape == [])
    }

    /// The ai.onnx.ml ops: labels [N], scores [N, classes] or [N, targets], the rest shaped like their input.
    @Test func mlOpsGiveLabelsAndScoresPerRow() throws {
        let ml = "ai.onnx.ml"
        var trees = TreeEnsembleSpeedPathTests.Spec()
        trees.branch(tree: 0, id: 0, feature: 2, "BRANCH_LEQ", 0.5, yes: 1, no: 2)
        trees.leaf(tree: 0, id: 1, [(0, 0.2), (1, 0.8)])
        trees.leaf(tree: 0, id: 2, [(2, 1)])
        var classifier = TreeEnsembleSpeedPathTests.node(trees, .classifier, extra: [.ints("classlabels_int64s", [0, 1, 2])])
        classifier.input = ["x"]
        classifier.output = ["treeLabel", "treeScores"]
        var regressor = TreeEnsembleSpeedPathTests.node(trees, .regressor, extra: [.int("n_targets", 3)])
        regressor.input = ["x"]
        regressor.output = ["treeValues"]
        regressor.name = "regression"
        let model = try Self.model(
            inputs: [Self.value("x", ["batch", 3])], initializers: [Self.int64s("columns", [0, 2])],
            nodes: [
                Self.node("Scaler", ["x"], ["scaled"], [Onnx_AttributeProto.floats("offset", [1]), Onnx_AttributeProto.floats("scale", [2])], domain: ml),
                Self.node("Normalizer", ["x"], ["normalized"], [TreeEnsembleSpeedPathTests.string("norm", "L2")], domain: ml),
                Self.node("LinearClassifier", ["x"], ["label", "scores"],
                          [Onnx_AttributeProto.floats("coefficients", Self.floats(6)), Onnx_AttributeProto.floats("intercepts", [0, 1])], domain: ml),
                Self.node("ArrayFeatureExtractor", ["x", "columns"], ["picked"], [], domain: ml),
                classifier, regressor,
            ],
            outputs: ["scaled", "normalized", "label", "scores", "picked", "treeLabel", "treeScores", "treeValues"].map { TestGraph.value($0, nil) })
        let executor = try Executor(model: model)
        let batch = TensorDimension.symbolic("batch")
        let expected: [String: [TensorDimension]] = [
            "scaled": [batch, .fixed(3)], "normalized": [batch, .fixed(3)], "label": [batch], "scores": [batch, .fixed(2)],
            "picked": [batch, .fixed(2)], "treeLabel": [batch], "treeScores": [batch, .fixed(3)], "treeValues": [batch, .fixed(3)],
        ]
        for (name, shape) in expected { #expect(executor.inferredShape(of: name) == shape, "\(name)") }
        let outputs = try executor.run(["x": Tensor(shape: [5, 3], floats: Self.floats(15))])
        for (name, shape) in expected {
            #expect(outputs[name]?.shape == shape.map { dim in if case .fixed(let size) = dim { Int(size) } else { 5 } }, "\(name)")
        }
    }

    // MARK: - Shapes computed from shapes

    /// `x.view(x.size(0), -1)`, `w.expand(x.size(0), 3, -1)`, `torch.zeros(x.shape)`, `x.repeat(1, x.size(2) // 2, 1)`
    /// and `torch.arange(x.size(0))` as PyTorch exports them: Shape → Gather → Unsqueeze → Concat (with Slice, Cast,
    /// Div, Equal and Where) → Reshape, Expand, ConstantOfShape, Tile and Range, with the batch symbol carried through.
    static func shapeChains() throws -> ONNXModel {
        try model(
            inputs: [value("x", ["batch", 3, 4])],
            initializers: [int64s("first", [0], scalar: true), int64s("axis0", [0]), int64s("wildcard", [-1]), int64s("one", [1]),
                           int64s("three", [3]), int64s("two", [2]), int64s("start", [0], scalar: true),
                           int64s("delta", [1], scalar: true), weights("w", [1, 4])],
            nodes: [
                FusionTests.node("Shape", ["x"], ["shape"]),
                FusionTests.node("Gather", ["shape", "first"], ["n"]),
                FusionTests.node("Unsqueeze", ["n", "axis0"], ["n1"]),
                Self.node("Concat", ["n1", "wildcard"], ["flatTarget"], [.int("axis", 0)]),
                FusionTests.node("Reshape", ["x", "flatTarget"], ["flat"]),
                // Expand with -1 as PyTorch writes it: Where(Equal(target, -1), 1, target).
                Self.node("Concat", ["n1", "three", "wildcard"], ["wanted"], [.int("axis", 0)]),
                FusionTests.node("Equal", ["wanted", "wildcard"], ["isWildcard"]),
                FusionTests.node("Where", ["isWildcard", "one", "wanted"], ["expandTarget"]),
                FusionTests.node("Expand", ["w", "expandTarget"], ["expanded"]),
                Self.node("Cast", ["shape"], ["shapeAsLong"], [.int("to", 7)]),
                FusionTests.node("ConstantOfShape", ["shapeAsLong"], ["zeros"]),
                FusionTests.node("Slice", ["shape", "two", "three"], ["width"]),
                FusionTests.node("Div", ["width", "two"], ["half"]),
                Self.node("Concat", ["one", "half", "one"], ["repeats"], [.int("axis", 0)]),
                FusionTests.node("Tile", ["x", "repeats"], ["tiled"]),
                FusionTests.node("Range", ["start", "n", "delta"], ["positions"]),
                // x.view(x.size(0) * 2, -1): a symbol times 2 is not guessed.
                FusionTests.node("Mul", ["n1", "two"], ["doubled"]),
                Self.node("Concat", ["doubled", "wildcard"], ["pairTarget"], [.int("axis", 0)]),
                FusionTests.node("Reshape", ["x", "pairTarget"], ["pairs"]),
            ],
            outputs: ["flat", "expanded", "zeros", "tiled", "positions", "pairs"].map { TestGraph.value($0, nil) })
    }

    @Test(arguments: [true, false])
    func shapesComputedFromShapeKeepTheBatchSymbol(fusion: Bool) throws {
        let executor = try Executor(model: try Self.shapeChains(), options: .init(threads: 1, fusion: fusion))
        let batch = TensorDimension.symbolic("batch")
        let expected: [String: [TensorDimension]] = [
            "shape": [.fixed(3)], "n": [], "n1": [.fixed(1)], "flatTarget": [.fixed(2)],
            "flat": [batch, .fixed(12)], "expanded": [batch, .fixed(3), .fixed(4)], "zeros": [batch, .fixed(3), .fixed(4)],
            "tiled": [batch, .fixed(6), .fixed(4)], "positions": [batch], "pairs": [.unknown, .unknown],
        ]
        for (name, shape) in expected { #expect(executor.inferredShape(of: name) == shape, "\(name)") }
        let outputs = try executor.run(["x": Tensor(shape: [2, 3, 4], floats: Self.floats(24))])
        for name in ["flat", "expanded", "zeros", "tiled", "positions"] {
            #expect(outputs[name]?.shape == expected[name]?.map { dim in if case .fixed(let size) = dim { Int(size) } else { 2 } }, "\(name)")
        }
        #expect(outputs["pairs"]?.shape == [4, 6])
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

    /// A group so large that channels × group overflows is refused, not a trap.
    @Test func convGroupThatOverflowsIsRefused() throws {
        let model = try Self.model(inputs: [Self.value("x", [1, 3, 8, 8])], initializers: [Self.weights("w", [4, 3, 3, 3])],
                              nodes: [Self.node("Conv", ["x", "w"], ["y"], [.int("group", 1 << 62)])], outputs: [TestGraph.value("y", nil)])
        expectWardenError(.invalidGraph, containing: "with group \(1 << 62) expect more than \(Int64.max)") { _ = try Executor(model: model) }
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

    static func expand(_ target: [Int64]) throws -> ONNXModel {
        try model(inputs: [value("x", [3, 2])], initializers: [int64s("target", target)],
                  nodes: [FusionTests.node("Expand", ["x", "target"], ["y"])], outputs: [TestGraph.value("y", nil)])
    }

    /// x [batch, 3] expanded to [x.size(0), width]: the batch symbol is no contradiction, width 4 against 3 is.
    static func expandFromShape(width: Int64) throws -> ONNXModel {
        try model(inputs: [value("x", ["batch", 3])],
                  initializers: [int64s("first", [0]), int64s("width", [width])],
                  nodes: [
                      FusionTests.node("Shape", ["x"], ["shape"]),
                      FusionTests.node("Gather", ["shape", "first"], ["n"]),
                      node("Concat", ["n", "width"], ["target"], [.int("axis", 0)]),
                      FusionTests.node("Expand", ["x", "target"], ["y"]),
                  ],
                  outputs: [TestGraph.value("y", nil)])
    }

    @Test func expandToAShapeTheInputDoesNotBroadcastToIsRefused() throws {
        #expect(try Executor(model: try Self.expand([2, 1, 2])).inferredShape(of: "y") == [.fixed(2), .fixed(3), .fixed(2)])
        #expect(try Executor(model: try Self.expandFromShape(width: 3)).inferredShape(of: "y") == [.symbolic("batch"), .fixed(3)])
        try Self.expectRefusal("Expand 'y': cannot expand [3, 2] to [2, 4]; \(Self.hint)") { try Self.expand([2, 4]) }
        try Self.expectRefusal("Expand 'y': cannot expand [batch, 3] to [batch, 4]; \(Self.hint)") { try Self.expandFromShape(width: 4) }
    }

    static func pad(_ pads: [Int64]) throws -> ONNXModel {
        try model(inputs: [value("x", [2, 4])], initializers: [int64s("pads", pads)],
                  nodes: [FusionTests.node("Pad", ["x", "pads"], ["y"])], outputs: [TestGraph.value("y", nil)])
    }

    @Test func padThatRemovesAWholeAxisIsRefused() throws {
        #expect(try Executor(model: try Self.pad([0, -1, 0, -2])).inferredShape(of: "y") == [.fixed(2), .fixed(1)])
        try Self.expectRefusal("Pad 'y': pads -2 and -2 on axis 1 remove all 4 elements of [2, 4]; \(Self.hint)") {
            try Self.pad([0, -2, 0, -2])
        }
    }

    static func convTranspose(inChannels: Int) throws -> ONNXModel {
        try model(inputs: [value("x", [1, 3, 5, 5])], initializers: [weights("w", [inChannels, 2, 3, 3])],
                  nodes: [FusionTests.node("ConvTranspose", ["x", "w"], ["y"])], outputs: [value("y", [1, 2, 7, 7])])
    }

    @Test func convTransposeChannelMismatchIsRefused() throws {
        _ = try Executor(model: try Self.convTranspose(inChannels: 3))
        try Self.expectRefusal("ConvTranspose 'y': the input [1, 3, 5, 5] has 3 channels but the weights [4, 2, 3, 3] expect 4 (ConvTranspose weights are [C, M/group, k…]); \(Self.hint)") {
            try Self.convTranspose(inChannels: 4)
        }
    }

    static func linearClassifier(coefficients: Int) throws -> ONNXModel {
        try model(inputs: [value("x", ["batch", 3])],
                  nodes: [node("LinearClassifier", ["x"], ["label", "scores"],
                               [Onnx_AttributeProto.floats("coefficients", floats(coefficients))], domain: "ai.onnx.ml")],
                  outputs: [value("label", ["batch"]), value("scores", ["batch", 2])])
    }

    @Test func linearClassifierCoefficientsThatDoNotFitTheFeaturesAreRefused() throws {
        _ = try Executor(model: try Self.linearClassifier(coefficients: 6))
        try Self.expectRefusal("LinearClassifier 'label': coefficients has 8 values, which do not fit the 3 features of [batch, 3] (one row of 3 per class); \(Self.hint)") {
            try Self.linearClassifier(coefficients: 8)
        }
    }

    static func linearRegressor(coefficients: Int) throws -> ONNXModel {
        try model(inputs: [value("x", ["batch", 3])],
                  nodes: [node("LinearRegressor", ["x"], ["y"],
                               [.floats("coefficients", floats(coefficients)), .int("targets", 2)], domain: "ai.onnx.ml")],
                  outputs: [value("y", ["batch", 2])])
    }

    @Test func linearRegressorCoefficientsThatDoNotFitAreRefused() throws {
        let executor = try Executor(model: try Self.linearRegressor(coefficients: 6))
        #expect(executor.inferredShape(of: "y") == [.symbolic("batch"), .fixed(2)])
        try Self.expectRefusal("LinearRegressor 'y': coefficients has 9 values, but 2 target(s) × the 3 features of [batch, 3] need 6; \(Self.hint)") {
            try Self.linearRegressor(coefficients: 9)
        }
    }
}
