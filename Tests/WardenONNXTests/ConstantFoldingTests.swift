import Foundation
import Testing
import WardenCore
@testable import WardenONNX
@testable import WardenRuntime
@testable import WardenTensor

/// Constant subgraphs are evaluated once at load; what depends on an input is not.
@Suite struct ConstantFoldingTests {
    static func value(_ name: String, _ type: Int32, _ dims: [Int64]) -> Onnx_ValueInfoProto {
        var value = Onnx_ValueInfoProto()
        value.name = name
        value.type.tensorType.elemType = type
        value.type.tensorType.shape.dim = dims.map { size in
            var dim = Onnx_TensorShapeProto.Dimension()
            dim.dimValue = size
            return dim
        }
        return value
    }

    static func node(_ op: String, _ inputs: [String], _ outputs: [String]) -> Onnx_NodeProto {
        var node = Onnx_NodeProto()
        node.opType = op
        node.name = outputs[0]
        node.input = inputs
        node.output = outputs
        return node
    }

    /// y = x + Transpose(w) + Cast(Shape(w)) reshaped: Transpose, Shape, Cast, Unsqueeze-free chain over w folds;
    /// the Adds that read x do not. `b` is a graph input with a default initializer: kept computed.
    static func model(options: Executor.Options = .init(threads: 1)) throws -> Executor {
        var graph = Onnx_GraphProto()
        graph.name = "folding"
        graph.input = [value("x", 1, [2, 3]), value("b", 1, [1])]
        var w = Onnx_TensorProto()
        w.name = "w"
        w.dataType = 1
        w.dims = [3, 2]
        w.floatData = [1, 2, 3, 4, 5, 6]
        var b = Onnx_TensorProto()
        b.name = "b"
        b.dataType = 1
        b.dims = [1]
        b.floatData = [100]
        graph.initializer = [w, b]
        var cast = node("Cast", ["shape"], ["shape_f"])
        var to = Onnx_AttributeProto()
        to.name = "to"
        to.type = .int
        to.i = 1
        cast.attribute = [to]
        graph.node = [
            node("Transpose", ["w"], ["wt"]),           // constant: folds
            node("Shape", ["w"], ["shape"]),            // constant: folds
            cast,                                       // constant (of a folded value): folds
            node("Add", ["x", "wt"], ["s1"]),           // reads x: runs
            node("ReduceSum", ["shape_f"], ["total"]),  // constant: folds (3 + 2)
            node("Add", ["s1", "total"], ["s2"]),
            node("Add", ["s2", "b"], ["y"]),            // reads b, an input: runs
        ]
        graph.output = [value("y", 1, [2, 3])]
        return try Executor(model: TestGraph.model(graph, path: "folding.onnx"), options: options)
    }

    @Test func constantSubgraphsAreFoldedAndTheAnswerIsTheSame() throws {
        let x = Tensor(shape: [2, 3], floats: [0, 0, 0, 10, 10, 10])
        let folded = try Self.model()
        #expect(folded.foldedNodes == 4)
        #expect(folded.steps.map(\.node.opType) == ["Add", "Add", "Add"])
        let unfolded = try Self.model(options: .init(threads: 1, fusion: false))
        #expect(unfolded.foldedNodes == 0)
        // wt = [[1, 3, 5], [2, 4, 6]], total = 5, b = 100 by default.
        let expected = Tensor(shape: [2, 3], floats: [106, 108, 110, 117, 119, 121])
        #expect(try folded.run(["x": x])["y"] == expected)
        #expect(try unfolded.run(["x": x])["y"] == expected)
    }
}
