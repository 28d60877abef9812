import Testing
import WardenCore
@testable import WardenONNX
@testable import WardenRuntime
@testable import WardenTensor

@Suite struct ShapeKernelTests {
    @Test("Shape takes opset 15's start and end: negative counts from the back, out of range clamps")
    func shapeSlices() throws {
        let x = Tensor(shape: [2, 3, 4, 5], floats: Array(repeating: 0, count: 120))
        func shape(_ attributes: Onnx_AttributeProto...) throws -> [Int64] {
            var node = Onnx_NodeProto()
            node.opType = "Shape"
            node.input = ["x"]
            node.output = ["y"]
            node.attribute = attributes
            let kernel = try #require(Kernels.all["Shape"])
            return try kernel(NodeContext(node: node, opset: 15, resolver: ExternalDataResolver(directory: ".")), [x])[0].int64s
        }
        #expect(try shape() == [2, 3, 4, 5])
        #expect(try shape(NewKernelTests.attribute("start", int: 1)) == [3, 4, 5])
        #expect(try shape(NewKernelTests.attribute("start", int: -2)) == [4, 5])
        #expect(try shape(NewKernelTests.attribute("start", int: 1), NewKernelTests.attribute("end", int: -1)) == [3, 4])
        #expect(try shape(NewKernelTests.attribute("start", int: -10), NewKernelTests.attribute("end", int: 10)) == [2, 3, 4, 5])
        #expect(try shape(NewKernelTests.attribute("start", int: 3), NewKernelTests.attribute("end", int: 1)) == [])
    }

    static func run(_ op: String, _ inputs: [Tensor], _ attributes: Onnx_AttributeProto...) throws -> Tensor {
        var node = Onnx_NodeProto()
        node.opType = op
        node.input = inputs.indices.map { "x\($0)" }
        node.output = ["y"]
        node.attribute = attributes
        let kernel = try #require(Kernels.all[op])
        return try kernel(NodeContext(node: node, opset: 17, resolver: ExternalDataResolver(directory: ".")), inputs)[0]
    }

    @Test("Slice keeps its input's type: an int32 past 2^24 went through Float and came out float32")
    func sliceKeepsTheElementType() throws {
        let x = Tensor(shape: [2, 3], storage: .int32([16_777_217, 2, 16_777_219, 4, 5, -16_777_221]))
        let starts = Tensor(shape: [1], int64s: [1]), ends = Tensor(shape: [1], int64s: [3]), axes = Tensor(shape: [1], int64s: [1])
        #expect(try Self.run("Slice", [x, starts, ends, axes]) == Tensor(shape: [2, 2], storage: .int32([2, 16_777_219, 5, -16_777_221])))
        let flags = Tensor(shape: [3], storage: .bool([true, false, false]))
        #expect(try Self.run("Slice", [flags, Tensor(shape: [1], int64s: [-1]), Tensor(shape: [1], int64s: [-4]), Tensor(shape: [1], int64s: [0]), Tensor(shape: [1], int64s: [-1])])
            == Tensor(shape: [3], storage: .bool([false, false, true])))
    }

    @Test("Concat keeps int32, float64 and bool, the parts interleaved along the axis")
    func concatKeepsTheElementType() throws {
        let a = Tensor(shape: [2, 1], storage: .int32([16_777_217, 3]))
        let b = Tensor(shape: [2, 2], storage: .int32([-16_777_219, 5, 6, 7]))
        #expect(try Self.run("Concat", [a, b], NewKernelTests.attribute("axis", int: 1))
            == Tensor(shape: [2, 3], storage: .int32([16_777_217, -16_777_219, 5, 3, 6, 7])))
        #expect(try Self.run("Concat", [a, b], NewKernelTests.attribute("axis", int: -1)).dataType == .int32)
        let d = Tensor(shape: [2], storage: .double([0.1, 1e300]))
        #expect(try Self.run("Concat", [d, d], NewKernelTests.attribute("axis", int: 0)) == Tensor(shape: [4], storage: .double([0.1, 1e300, 0.1, 1e300])))
        let flags = Tensor(shape: [1], storage: .bool([true]))
        #expect(try Self.run("Concat", [flags, Tensor(shape: [2], storage: .bool([false, true]))], NewKernelTests.attribute("axis", int: 0))
            == Tensor(shape: [3], storage: .bool([true, false, true])))
    }

    @Test("Transpose and Gather keep their input's type, and Gather reads a mapped table in place")
    func transposeAndGatherKeepTheElementType() throws {
        let x = Tensor(shape: [2, 3], storage: .int32([16_777_217, 2, 3, 4, 5, -16_777_219]))
        #expect(try Self.run("Transpose", [x], .ints("perm", [1, 0]))
            == Tensor(shape: [3, 2], storage: .int32([16_777_217, 4, 2, 5, 3, -16_777_219])))
        let flags = Tensor(shape: [1, 2, 2], storage: .bool([true, false, false, false]))
        #expect(try Self.run("Transpose", [flags], .ints("perm", [2, 1, 0])) == Tensor(shape: [2, 2, 1], storage: .bool([true, false, false, false])))
        #expect(try Self.run("Gather", [x, Tensor(shape: [1], int64s: [1])], .int("axis", 0)) == Tensor(shape: [1, 3], storage: .int32([4, 5, -16_777_219])))
        let d = Tensor(shape: [3], storage: .double([0.1, 1e300, -2]))
        #expect(try Self.run("Gather", [d, Tensor(shape: [2], int64s: [2, 1])]) == Tensor(shape: [2], storage: .double([-2, 1e300])))
    }
}
