import Testing
import WardenCore
@testable import WardenONNX

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
}
