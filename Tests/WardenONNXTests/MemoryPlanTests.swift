import Foundation
import Testing
import WardenCore
@testable import WardenONNX
@testable import WardenRuntime
@testable import WardenTensor

/// The load-time plan of intermediate buffers, and the arenas that hold them across calls.
@Suite struct MemoryPlanTests {
    static func shapes(_ names: [String], _ dims: [Int]) -> [String: [TensorDimension]] {
        Dictionary(uniqueKeysWithValues: names.map { ($0, dims.map { .fixed(Int64($0)) }) })
    }

    /// x → a → b → c → y: a is read for the last time by the step that makes b, so c can take a's buffer.
    @Test func valuesWhoseLivesDoNotOverlapShareABuffer() {
        let nodes = [ConstantFoldingTests.node("Relu", ["x"], ["a"]), ConstantFoldingTests.node("Sigmoid", ["a"], ["b"]), ConstantFoldingTests.node("Relu", ["b"], ["c"]), ConstantFoldingTests.node("Neg", ["c"], ["y"])]
        let plan = MemoryPlan(nodes, constants: [], outputs: ["y"], shapes: Self.shapes(["a", "b", "c", "y"], [4, 8]))
        #expect(plan.values == 3)
        #expect(plan.slotCount == 2)
        #expect(plan.outputSlots[2][0] == plan.outputSlots[0][0])
        #expect(plan.outputSlots[1][0] != plan.outputSlots[0][0])
        #expect(plan.outputSlots[3] == [-1], "a graph output leaves with the result")
        #expect(plan.valueElements == 96 && plan.slotElements == 64)
        #expect(plan.returns[1].map(\.name) == ["a"] && plan.returns[2].map(\.name) == ["b"] && plan.returns[3].map(\.name) == ["c"])
        #expect(plan.releases == [["x"], ["a"], ["b"], ["c"]], "y leaves with the result: it is never dropped")
    }

    /// A Reshape hands on its input's buffer: the buffer stays taken until the view's last read.
    @Test func aViewKeepsItsInputsBufferTaken() {
        let nodes = [
            ConstantFoldingTests.node("Relu", ["x"], ["a"]), ConstantFoldingTests.node("Reshape", ["a", "shape"], ["r"]), ConstantFoldingTests.node("Sigmoid", ["r"], ["b"]),
            ConstantFoldingTests.node("Add", ["b", "r"], ["c"]), ConstantFoldingTests.node("Neg", ["c"], ["y"]),
        ]
        let plan = MemoryPlan(nodes, constants: ["shape"], outputs: ["y"], shapes: Self.shapes(["a", "r", "b", "c"], [2, 3]))
        #expect(plan.outputSlots[1] == [-1], "the view has no buffer of its own")
        #expect(plan.values == 3 && plan.slotCount == 3)
        #expect(Set([plan.outputSlots[0][0], plan.outputSlots[2][0], plan.outputSlots[3][0]]).count == 3)
        // The group goes back when the view is read for the last time, by the Add.
        #expect(plan.returns[3].contains { $0.name == "r" && $0.slot == plan.outputSlots[0][0] })
        #expect(!plan.returns[1].contains { $0.name == "a" })
    }

    /// A graph output's buffer leaves with the result, so neither it nor the value it is a view of is planned;
    /// nor is a view of a graph input, which holds the caller's buffer.
    @Test func buffersThatLeaveOrBelongToTheCallerAreNotPlanned() {
        let nodes = [ConstantFoldingTests.node("Relu", ["x"], ["a"]), ConstantFoldingTests.node("Flatten", ["a"], ["y"]), ConstantFoldingTests.node("Identity", ["x"], ["v"]), ConstantFoldingTests.node("Neg", ["v"], ["z"])]
        let plan = MemoryPlan(nodes, constants: [], outputs: ["y", "z"], shapes: [:])
        #expect(plan.values == 0 && plan.slotCount == 0)
        #expect(plan.outputSlots.allSatisfy { $0.allSatisfy { $0 == -1 } })
    }

    /// A new value takes the free buffer whose planned size fits it best.
    @Test func aValueTakesTheFreeBufferThatFitsBest() {
        let nodes = [
            ConstantFoldingTests.node("Relu", ["x"], ["big"]), ConstantFoldingTests.node("Relu", ["x"], ["small"]), ConstantFoldingTests.node("Add", ["big", "small"], ["sum"]),
            ConstantFoldingTests.node("Relu", ["x"], ["tiny"]), ConstantFoldingTests.node("Add", ["sum", "tiny"], ["y"]),
        ]
        var shapes = Self.shapes(["big", "sum"], [64])
        shapes["small"] = [.fixed(4)]
        shapes["tiny"] = [.symbolic("batch"), .fixed(2)]
        let plan = MemoryPlan(nodes, constants: [], outputs: ["y"], shapes: shapes)
        // The Add reads big and small, so sum needs a third buffer; then both are free, and tiny takes the smaller.
        #expect(plan.slotCount == 3)
        #expect(Set([plan.outputSlots[0][0], plan.outputSlots[1][0], plan.outputSlots[2][0]]).count == 3)
        #expect(plan.outputSlots[3][0] == plan.outputSlots[1][0], "tiny [batch, 2] takes small's buffer [4], not big's [64]")
    }

    static func chain() throws -> Executor {
        var graph = Onnx_GraphProto()
        graph.input = [TestGraph.value("x", ["batch", 256])]
        graph.output = [TestGraph.value("y", nil)]
        graph.node = [ConstantFoldingTests.node("Relu", ["x"], ["a"]), ConstantFoldingTests.node("Sigmoid", ["a"], ["b"]), ConstantFoldingTests.node("Mul", ["b", "a"], ["c"]), ConstantFoldingTests.node("Neg", ["c"], ["y"])]
        return try Executor(model: TestGraph.model(graph, path: "chain.onnx"), options: .init(threads: 1))
    }

    static func input(_ seed: Float) -> Tensor {
        Tensor(shape: [2, 256], floats: (0..<512).map { Float($0 % 17) * seed - 3 })
    }

    static func expected(_ x: Tensor) -> [Float] {
        x.floats.map { value in
            let a = max(value, 0)
            return -(1 / (1 + Foundation.exp(-a)) * a)
        }
    }

    /// The second call writes into the first call's buffers, and the first call's outputs do not change.
    @Test func callsReuseTheBuffersAndKeepTheirOutputs() throws {
        let executor = try Self.chain()
        #expect(executor.intermediateMemory.values == 3 && executor.intermediateMemory.buffers == 3)
        #expect(executor.intermediateMemory.heldBytes == 0)
        let first = try executor.run(["x": Self.input(1)])
        let arenas = executor.keptArenas
        try #require(arenas.count == 1)
        let addresses = arenas[0].addresses
        #expect(addresses.allSatisfy { $0 != 0 })
        #expect((3 * 512 * 4..<6 * 512 * 4).contains(executor.intermediateMemory.heldBytes))

        let second = try executor.run(["x": Self.input(2)])
        #expect(executor.keptArenas.count == 1)
        #expect(executor.keptArenas[0].addresses == addresses, "the second call wrote into the same buffers")
        #expect(first["y"]?.floats == Self.expected(Self.input(1)))
        #expect(second["y"]?.floats == Self.expected(Self.input(2)))
        // A smaller batch fits in the same buffers.
        let one = Tensor(shape: [1, 256], floats: Array(Self.input(3).floats.prefix(256)))
        #expect(try executor.run(["x": one])["y"]?.floats == Self.expected(one))
        #expect(executor.keptArenas[0].addresses == addresses)
    }

    /// Calls at the same time each take their own arena; the executor keeps a few for later.
    @Test func concurrentCallsUseTheirOwnArenas() async throws {
        let executor = try Self.chain()
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for task in 0..<16 {
                group.addTask {
                    let x = Self.input(Float(task % 5) + 0.5)
                    for _ in 0..<20 where try executor.run(["x": x])["y"]?.floats != Self.expected(x) { return false }
                    return true
                }
            }
            for try await correct in group { #expect(correct) }
        }
        #expect((1...Executor.mostArenasKept).contains(executor.keptArenas.count))
    }
}
