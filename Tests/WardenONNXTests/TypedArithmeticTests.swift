import Foundation
import Testing
import WardenCore
import WardenTestSupport
@testable import WardenONNX
@testable import WardenRuntime
@testable import WardenTensor

/// Add, Sub, Mul, Div and Pow keep float64 and int32 in their types, and integer
/// division never traps (x / 0 is 0, Int.min / -1 wraps) whatever a request sends.
@Suite struct TypedArithmeticTests {
    static func executor(_ op: String, type: Int32, inputs: [String] = ["a", "b"], dims: [Int64] = [3]) throws -> Executor {
        var graph = Onnx_GraphProto()
        graph.name = "typed"
        // -1: a dynamic dim.
        graph.input = inputs.map { TestGraph.value($0, dims.map { $0 < 0 ? "n" as Any : Int($0) as Any }, type: type) }
        var node = Onnx_NodeProto()
        node.opType = op
        node.input = inputs
        node.output = ["y"]
        graph.node = [node]
        graph.output = [TestGraph.value("y", nil, type: type)]
        return try Executor(model: TestGraph.model(graph, path: "\(op).onnx"), options: .init(threads: 1))
    }

    @Test func float64StaysFloat64() throws {
        let a = Tensor(shape: [3], storage: .double([0.1, 1e300, 2]))
        let b = Tensor(shape: [3], storage: .double([0.2, 1e300, 0.5]))
        // 0.1 + 0.2 in double is not what float32 would give; 1e300 overflows float32.
        #expect(try Self.executor("Add", type: 11).run(["a": a, "b": b])["y"] == Tensor(shape: [3], storage: .double([0.1 + 0.2, 2e300, 2.5])))
        #expect(try Self.executor("Mul", type: 11).run(["a": a, "b": b])["y"] == Tensor(shape: [3], storage: .double([0.1 * 0.2, .infinity, 1])))
        #expect(try Self.executor("Pow", type: 11).run(["a": a, "b": b])["y"] == Tensor(shape: [3], storage: .double([Foundation.pow(0.1, 0.2), .infinity, Foundation.pow(2, 0.5)])))
    }

    @Test func integerDivisionNeverTraps() throws {
        let a32 = Tensor(shape: [3], storage: .int32([7, Int32.min, 5]))
        let b32 = Tensor(shape: [3], storage: .int32([2, -1, 0]))
        #expect(try Self.executor("Div", type: 6).run(["a": a32, "b": b32])["y"] == Tensor(shape: [3], storage: .int32([3, Int32.min, 0])))
        #expect(try Self.executor("Add", type: 6).run(["a": a32, "b": b32])["y"] == Tensor(shape: [3], storage: .int32([9, Int32.max, 5])))
        let a64 = Tensor(shape: [3], int64s: [-7, Int64.min, 5])
        let b64 = Tensor(shape: [3], int64s: [2, -1, 0])
        #expect(try Self.executor("Div", type: 7).run(["a": a64, "b": b64])["y"] == Tensor(shape: [3], int64s: [-3, Int64.min, 0]))
    }

    @Test func rangeRefusesWhatItCannotHoldInsteadOfTrapping() throws {
        let range = try Self.executor("Range", type: 7, inputs: ["start", "limit", "delta"], dims: [])
        func run(_ s: Int64, _ l: Int64, _ d: Int64) throws -> Tensor? {
            try range.run(["start": Tensor(shape: [], int64s: [s]), "limit": Tensor(shape: [], int64s: [l]), "delta": Tensor(shape: [], int64s: [d])])["y"]
        }
        #expect(try run(1, 10, 3) == Tensor(shape: [3], int64s: [1, 4, 7]))
        #expect(try run(10, 1, 3) == Tensor(shape: [0], int64s: []))
        #expect(try run(5, -4, -3) == Tensor(shape: [3], int64s: [5, 2, -1]))
        // The span overflowed Int64 and trapped; a count of 2^40 was allocated.
        expectWardenError(.invalidArgument, containing: "too many elements") { _ = try run(Int64.min, Int64.max, 1) }
        expectWardenError(.invalidArgument, containing: "too many elements") { _ = try run(0, 1 << 40, 1) }
        expectWardenError(.invalidArgument, containing: "delta is 0") { _ = try run(0, 1, 0) }

        let floats = try Self.executor("Range", type: 1, inputs: ["start", "limit", "delta"], dims: [])
        func runFloat(_ s: Float, _ l: Float, _ d: Float) throws -> Tensor? {
            try floats.run(["start": Tensor(shape: [], floats: [s]), "limit": Tensor(shape: [], floats: [l]), "delta": Tensor(shape: [], floats: [d])])["y"]
        }
        #expect(try runFloat(0, 1, 0.25) == Tensor(shape: [4], floats: [0, 0.25, 0.5, 0.75]))
        // Int(Float.infinity) trapped.
        expectWardenError(.invalidArgument, containing: "too many elements") { _ = try runFloat(0, .infinity, 1) }
        expectWardenError(.invalidArgument, containing: "too many elements") { _ = try runFloat(0, .nan, 1) }
        #expect(try runFloat(0, -.infinity, 1) == Tensor(shape: [0], floats: []))
    }

    @Test func castingFloatsBeyondInt64Saturates() throws {
        var graph = Onnx_GraphProto()
        graph.input = [TestGraph.value("x", nil)]
        var node = Onnx_NodeProto()
        node.opType = "Cast"
        node.input = ["x"]
        node.output = ["y"]
        node.attribute = [.int("to", 7)]
        graph.node = [node]
        graph.output = [TestGraph.value("y", nil, type: 7)]
        let cast = try Executor(model: TestGraph.model(graph, path: "cast.onnx"), options: .init(threads: 1))
        // Int64(1e30) trapped: a request could stop the server.
        let input = Tensor(shape: [6], floats: [1e30, -1e30, .infinity, .nan, -2.7, 9.2233715e18])
        #expect(try cast.run(["x": input])["y"] == Tensor(shape: [6], int64s: [.max, .min, .max, 0, -2, 9_223_371_487_098_961_920]))
    }

    @Test func shapesFromARequestCannotAskForTerabytes() throws {
        // Found by FuzzExecute: Expand's target shape came from an input and was allocated as asked.
        let expand = try Self.executor("Expand", type: 7, inputs: ["a", "b"], dims: [1])
        let one = Tensor(shape: [1], int64s: [7])
        #expect(try expand.run(["a": one, "b": Tensor(shape: [1], int64s: [3])])["y"] == Tensor(shape: [3], int64s: [7, 7, 7]))
        expectWardenError(.invalidArgument, containing: "more than 268435456 elements") {
            _ = try expand.run(["a": one, "b": Tensor(shape: [1], int64s: [1 << 40])])
        }
        expectWardenError(.invalidArgument, containing: "negative dim") {
            _ = try expand.run(["a": one, "b": Tensor(shape: [1], int64s: [-5])])
        }
    }

    @Test func sliceStepsAtTheInt64LimitsTakeOneElement() throws {
        let slice = try Self.executor("Slice", type: 7, inputs: ["data", "starts", "ends", "axes", "steps"], dims: [-1])
        func run(_ start: Int64, _ end: Int64, _ step: Int64, over values: [Int64]) throws -> Tensor? {
            try slice.run([
                "data": Tensor(shape: [values.count], int64s: values), "starts": Tensor(shape: [1], int64s: [start]),
                "ends": Tensor(shape: [1], int64s: [end]), "axes": Tensor(shape: [1], int64s: [0]), "steps": Tensor(shape: [1], int64s: [step]),
            ])["y"]
        }
        // (e - s + step - 1) and -step overflowed and trapped.
        #expect(try run(0, 10, .max, over: [1, 2, 3, 4]) == Tensor(shape: [1], int64s: [1]))
        #expect(try run(-1, .min, .min, over: [1, 2, 3, 4]) == Tensor(shape: [1], int64s: [4]))
        #expect(try run(1, .max, 2, over: [1, 2, 3, 4]) == Tensor(shape: [2], int64s: [2, 4]))
    }

    @Test func tileRepeatsThatOverflowAreRefused() throws {
        let tile = try Self.executor("Tile", type: 7, inputs: ["a", "b"], dims: [-1])
        let a = Tensor(shape: [2], int64s: [1, 2])
        #expect(try tile.run(["a": a, "b": Tensor(shape: [1], int64s: [2])])["y"] == Tensor(shape: [4], int64s: [1, 2, 1, 2]))
        // 2 × Int64.max overflowed and trapped before the size check.
        expectWardenError(.invalidArgument, containing: "too large") { _ = try tile.run(["a": a, "b": Tensor(shape: [1], int64s: [.max])]) }
    }

    @Test func reshapeDimsWhoseProductOverflowsAreRefused() throws {
        let reshape = try Self.executor("Reshape", type: 7, inputs: ["a", "b"], dims: [-1])
        let a = Tensor(shape: [4], int64s: [1, 2, 3, 4])
        #expect(try reshape.run(["a": a, "b": Tensor(shape: [2], int64s: [-1, 2])])["y"] == Tensor(shape: [2, 2], int64s: [1, 2, 3, 4]))
        // The product of the known dims overflowed and trapped.
        expectWardenError(.invalidArgument, containing: "cannot reshape") {
            _ = try reshape.run(["a": a, "b": Tensor(shape: [3], int64s: [-1, 1 << 40, 1 << 40])])
        }
    }

    @Test func unsqueezeWithARepeatedAxisIsRefused() throws {
        let unsqueeze = try Self.executor("Unsqueeze", type: 7, inputs: ["a", "b"], dims: [-1])
        let a = Tensor(shape: [2], int64s: [1, 2])
        #expect(try unsqueeze.run(["a": a, "b": Tensor(shape: [2], int64s: [0, 2])])["y"] == Tensor(shape: [1, 2, 1], int64s: [1, 2]))
        // [2, 2] inserted past the end of the shape and trapped.
        expectWardenError(.invalidArgument, containing: "name an axis twice") {
            _ = try unsqueeze.run(["a": a, "b": Tensor(shape: [2], int64s: [2, 2])])
        }
    }
}

