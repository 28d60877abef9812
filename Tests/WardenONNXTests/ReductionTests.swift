import Testing
import WardenCore
@testable import WardenONNX
@testable import WardenRuntime
@testable import WardenTensor

/// ReduceSum/Mean/Max/Min over every set of axes of a rank-4 tensor, against a direct sum over indices.
@Suite struct ReductionTests {
    static let shape = [2, 3, 4, 5]
    static let values: [Float] = (0..<120).map { Float(($0 * 37) % 23) - 11 + (($0 % 7 == 3) ? 0.25 : 0) }

    /// The expected output: for each output position, `combine` over the inputs that map to it, in row-major order.
    static func expected(_ axes: Set<Int>, _ initial: Float, _ combine: (Float, Float) -> Float) -> [Float] {
        let outShape = shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
        let outStrides = Shape.strides(outShape), strides = Shape.strides(shape)
        var out = [Float](repeating: initial, count: outShape.reduce(1, *))
        for position in values.indices {
            let target = shape.indices.reduce(0) { sum, axis in
                axes.contains(axis) ? sum : sum + (position / strides[axis] % shape[axis]) * outStrides[axis]
            }
            out[target] = combine(out[target], values[position])
        }
        return out
    }

    static let axisSets: [Set<Int>] = (1..<16).map { mask in Set((0..<4).filter { mask & (1 << $0) != 0 }) }

    @Test(arguments: axisSets)
    func everyAxisSetMatchesTheDirectSum(_ axes: Set<Int>) {
        let x = Tensor(shape: Self.shape, floats: Self.values)
        #expect(IndexingKernels.reduce(x.floats, x.shape, axes, from: 0, +) == Self.expected(axes, 0, +))
        #expect(IndexingKernels.reduce(x.floats, x.shape, axes, from: -.infinity) { max($0, $1) } == Self.expected(axes, -.infinity) { max($0, $1) })
        #expect(IndexingKernels.reduce(x.floats, x.shape, axes, from: .infinity) { min($0, $1) } == Self.expected(axes, .infinity) { min($0, $1) })
    }

    /// Through the kernel: ReduceMean over axes 0 and 2 (two separate blocks), keepdims off.
    @Test func reduceMeanOverSeparateAxes() throws {
        var graph = Onnx_GraphProto()
        graph.input = [TestGraph.value("x", Self.shape)]
        graph.output = [TestGraph.value("y", nil)]
        var node = ConstantFoldingTests.node("ReduceMean", ["x"], ["y"])
        node.attribute = [.ints("axes", [0, 2]), .int("keepdims", 0)]
        graph.node = [node]
        let y = try #require(try Executor(model: TestGraph.model(graph, opset: 13, path: "reduce.onnx")).run(["x": Tensor(shape: Self.shape, floats: Self.values)])["y"])
        #expect(y.shape == [3, 5])
        #expect(y.floats == Self.expected([0, 2], 0, +).map { $0 / 8 })
    }
}
