import Foundation
import Testing
import WardenCore
@testable import WardenONNX
@testable import WardenRuntime
@testable import WardenTensor

/// The packed GEMM against the plain loop, on every microkernel this CPU runs.
@Suite struct GEMMTests {
    /// (m, k, n): degenerate, odd, not multiples of any tile, deeper than one K block, taller than one M block.
    static let shapes: [(Int, Int, Int)] = [
        (1, 1, 1), (7, 13, 5), (13, 7, 33), (3, 300, 17), (1, 64, 100), (2, 5, 3),
        (37, 520, 45), (200, 19, 70), (12, 32, 32), (5, 0, 9), (0, 4, 4),
    ]

    static func random(_ count: Int, seed: UInt64) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in Float.random(in: -1...1, using: &generator) }
    }

    static func transpose(_ values: [Float], rows: Int, columns: Int) -> [Float] {
        var out = [Float](repeating: 0, count: values.count)
        for row in 0..<rows { for column in 0..<columns { out[column * rows + row] = values[row * columns + column] } }
        return out
    }

    static func expectClose(_ actual: [Float], _ expected: [Float], tolerance: Float = 1e-4, _ label: String) {
        #expect(actual.count == expected.count, "\(label): count")
        var worst: Float = 0
        for (a, e) in zip(actual, expected) { worst = max(worst, abs(a - e) / max(1, abs(e))) }
        #expect(worst <= tolerance, "\(label): worst relative error \(worst)")
    }

    @Test(arguments: GEMM.Microkernel.supported)
    func matchesTheNaiveLoop(kernel: GEMM.Microkernel) {
        for (m, k, n) in Self.shapes {
            let a = Self.random(m * k, seed: 1), b = Self.random(k * n, seed: 2)
            let expected = LinearAlgebraKernels.naiveMultiply(a, b, m: m, k: k, n: n)
            for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
                for threads in [1, 2] {
                    // Stored as Aᵀ [k, m] / Bᵀ [n, k] and read through strides.
                    let storedA = transA ? Self.transpose(a, rows: m, columns: k) : a
                    let storedB = transB ? Self.transpose(b, rows: k, columns: n) : b
                    var c = [Float](repeating: .nan, count: m * n)
                    storedA.withUnsafeBufferPointer { ap in
                        storedB.withUnsafeBufferPointer { bp in
                            c.withUnsafeMutableBufferPointer { cp in
                                let aBase = ap.baseAddress ?? GEMM.placeholder, bBase = bp.baseAddress ?? GEMM.placeholder
                                guard let cBase = cp.baseAddress else { return }
                                GEMM.multiply(
                                    .matrix(aBase, rowStride: transA ? 1 : k, columnStride: transA ? m : 1),
                                    .matrix(bBase, rowStride: transB ? 1 : n, columnStride: transB ? k : 1),
                                    m: m, n: n, k: k, into: cBase, ldc: n, threads: threads, kernel: kernel)
                            }
                        }
                    }
                    Self.expectClose(c, expected, "\(kernel) \(m)x\(k)x\(n) transA \(transA) transB \(transB) threads \(threads)")
                }
            }
        }
    }

    @Test(arguments: GEMM.Microkernel.supported)
    func epilogueAndPrepackedOperands(kernel: GEMM.Microkernel) {
        for (m, k, n) in [(7, 13, 5), (30, 270, 41), (1, 9, 64)] {
            let a = Self.random(m * k, seed: 3), b = Self.random(k * n, seed: 4)
            let rowBias = Self.random(m, seed: 5), columnBias = Self.random(n, seed: 6), start = Self.random(m * n, seed: 7)
            let product = LinearAlgebraKernels.naiveMultiply(a, b, m: m, k: k, n: n)
            let expected = (0..<(m * n)).map { max(0, start[$0] + 0.5 * product[$0] + rowBias[$0 / n] + columnBias[$0 % n]) }
            let packedA = a.withUnsafeBufferPointer { GEMM.packA($0.baseAddress ?? GEMM.placeholder, rowStride: k, columnStride: 1, m: m, k: k, kernel: kernel) }
            let packedB = b.withUnsafeBufferPointer { GEMM.packB($0.baseAddress ?? GEMM.placeholder, rowStride: n, columnStride: 1, k: k, n: n, kernel: kernel) }
            for threads in [1, 2] {
                var c = start
                rowBias.withUnsafeBufferPointer { rows in
                    columnBias.withUnsafeBufferPointer { columns in
                        c.withUnsafeMutableBufferPointer { cp in
                            guard let cBase = cp.baseAddress else { return }
                            let epilogue = GEMM.Epilogue(alpha: 0.5, accumulate: true, relu: true, rowBias: rows.baseAddress, columnBias: columns.baseAddress)
                            GEMM.multiply(.packed(packedA), .packed(packedB), m: m, n: n, k: k, into: cBase, ldc: n, epilogue: epilogue, threads: threads, kernel: kernel)
                        }
                    }
                }
                Self.expectClose(c, expected, "\(kernel) \(m)x\(k)x\(n) threads \(threads)")
            }
        }
    }

    @Test func reluKeepsNaN() {
        var c = [Float](repeating: 0, count: 3)
        let a: [Float] = [1], b: [Float] = [.nan, -2, 3]
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    guard let aBase = ap.baseAddress, let bBase = bp.baseAddress, let cBase = cp.baseAddress else { return }
                    GEMM.multiply(.matrix(aBase, rowStride: 1), .matrix(bBase, rowStride: 3), m: 1, n: 3, k: 1, into: cBase, ldc: 3, epilogue: .init(relu: true))
                }
            }
        }
        #expect(c[0].isNaN)
        #expect(Array(c[1...]) == [0, 3])
    }

    @Test func vectorizedBinaryOpsMatchBroadcasting() throws {
        let cases: [([Int], [Int])] = [([2, 3, 4, 5], [2, 3, 4, 5]), ([2, 3, 4, 5], [3, 1, 1]), ([2, 3, 4, 5], [5]), ([4, 5], []), ([1, 5], [3, 5]), ([3, 1], [3, 4])]
        for (aShape, bShape) in cases {
            let a = Tensor(shape: aShape, floats: Self.random(aShape.reduce(1, *), seed: 8))
            let b = Tensor(shape: bShape, floats: Self.random(bShape.reduce(1, *), seed: 9).map { $0 + 2 })
            for (operation, function) in [(Vectorized.Operation.add, { (x: Float, y: Float) in x + y }), (.sub, { $0 - $1 }), (.mul, { $0 * $1 }), (.div, { $0 / $1 })] {
                let reference = try ElementwiseKernels.broadcast(a.floats, a.shape, b.floats, b.shape, op: "test", function)
                for (x, y, swapped) in [(a, b, false), (b, a, true)] {
                    let expected = swapped ? try ElementwiseKernels.broadcast(b.floats, b.shape, a.floats, a.shape, op: "test", function) : reference
                    // Every case here is one the fast path takes (the declined shape is checked below).
                    let result = try #require(Vectorized.binary(operation, x, y, threads: 2), "the fast path declined \(x.shape) \(y.shape) \(operation)")
                    #expect(result.shape == expected.0, "\(aShape) \(bShape) \(operation)")
                    #expect(result.floats == expected.1, "\(aShape) \(bShape) \(operation) swapped \(swapped)")
                }
            }
        }
        // A broadcast over both operands is left to the generic loop.
        #expect(Vectorized.binary(.add, Tensor(shape: [3, 1], floats: [1, 2, 3]), Tensor(shape: [1, 4], floats: [1, 2, 3, 4]), threads: 1) == nil)
    }
}

/// Load-time fusion and threads change nothing a caller can see.
@Suite struct FusionTests {
    static func value(_ name: String, _ shape: [Int]) -> Onnx_ValueInfoProto { TestGraph.value(name, shape) }

    static func initializer(_ name: String, _ shape: [Int], _ values: [Float]) -> Onnx_TensorProto {
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dataType = 1
        tensor.dims = shape.map(Int64.init)
        tensor.floatData = values
        return tensor
    }

    static func node(_ op: String, _ inputs: [String], _ outputs: [String], _ attributes: [(String, [Int])] = []) -> Onnx_NodeProto {
        var node = Onnx_NodeProto()
        node.opType = op
        node.input = inputs
        node.output = outputs
        node.attribute = attributes.map { name, ints in
            var attribute = Onnx_AttributeProto()
            attribute.name = name
            if ints.count == 1 && name == "group" {
                attribute.type = .int
                attribute.i = Int64(ints[0])
            } else {
                attribute.type = .ints
                attribute.ints = ints.map(Int64.init)
            }
            return attribute
        }
        return node
    }

    /// x [2, 6, 9, 9] → Conv 3×3 (pad 1) → BatchNorm → Relu → Conv 1×1 grouped (+BN, whose input is also an output)
    /// → Add residual → Relu → Flatten → MatMul → Add bias → Relu → Gemm(transB) → Relu.
    static func model() throws -> ONNXModel {
        var graph = Onnx_GraphProto()
        graph.name = "fusion"
        graph.input = [value("x", [2, 6, 9, 9])]
        let random = GEMMTests.random
        graph.initializer = [
            initializer("w1", [6, 6, 3, 3], random(6 * 6 * 9, 10)), initializer("b1", [6], random(6, 11)),
            initializer("s1", [6], random(6, 12).map { $0 + 1.5 }), initializer("t1", [6], random(6, 13)),
            initializer("m1", [6], random(6, 14)), initializer("v1", [6], random(6, 15).map { $0 + 1.2 }),
            initializer("w2", [6, 3, 1, 1], random(18, 16)),
            initializer("s2", [6], random(6, 17).map { $0 + 1.5 }), initializer("t2", [6], random(6, 18)),
            initializer("m2", [6], random(6, 19)), initializer("v2", [6], random(6, 20).map { $0 + 1.2 }),
            initializer("w3", [486, 40], random(486 * 40, 21)), initializer("b3", [40], random(40, 22)),
            initializer("w4", [7, 40], random(280, 23)), initializer("b4", [7], random(7, 24)),
        ]
        graph.node = [
            node("Conv", ["x", "w1", "b1"], ["c1"], [("pads", [1, 1, 1, 1])]),
            node("BatchNormalization", ["c1", "s1", "t1", "m1", "v1"], ["n1"]),
            node("Relu", ["n1"], ["r1"]),
            node("Conv", ["r1", "w2"], ["c2"], [("group", [2])]),
            node("BatchNormalization", ["c2", "s2", "t2", "m2", "v2"], ["n2"]),
            node("Add", ["n2", "x"], ["sum"]),
            node("Relu", ["sum"], ["r2"]),
            node("Flatten", ["r2"], ["flat"]),
            node("MatMul", ["flat", "w3"], ["mm"]),
            node("Add", ["mm", "b3"], ["biased"]),
            node("Relu", ["biased"], ["hidden"]),
            node("Gemm", ["hidden", "w4", "b4"], ["logits"]),
            node("Relu", ["logits"], ["y"]),
        ]
        graph.node[11].attribute = [{ var a = Onnx_AttributeProto(); a.name = "transB"; a.type = .int; a.i = 1; return a }()]
        graph.output = [value("y", [2, 7]), value("n2", [2, 6, 9, 9])]
        return try TestGraph.model(graph, path: "fusion.onnx")
    }

    @Test func fusedModelMatchesUnfused() throws {
        let model = try Self.model()
        let plain = try Executor(model: model, options: .init(threads: 1, fusion: false))
        let fused = try Executor(model: model, options: .init(threads: 1))
        // Conv+BN+Relu, Conv+BN (n2 is an output, so no more), MatMul+Add+Relu, Gemm+Relu.
        #expect(plain.steps.count == 13)
        #expect(fused.steps.map(\.node.opType) == ["Conv", "Conv", "Add", "Relu", "Flatten", "MatMul", "Gemm"])
        let x = Tensor(shape: [2, 6, 9, 9], floats: GEMMTests.random(2 * 6 * 81, seed: 30))
        let expected = try plain.run(["x": x])
        let actual = try fused.run(["x": x])
        for name in ["y", "n2"] {
            let e = try #require(expected[name]), a = try #require(actual[name])
            #expect(a.shape == e.shape)
            GEMMTests.expectClose(a.floats, e.floats, "\(name)")
        }
        #expect(try #require(expected["y"]).floats.contains { $0 > 0 }, "the model should not be all zeros after Relu")
    }

    @Test func twoThreadsMatchOne() throws {
        let model = try Self.model()
        let one = try Executor(model: model, options: .init(threads: 1))
        let two = try Executor(model: model, options: .init(threads: 2))
        #expect(one.options.threads == 1 && two.options.threads == 2)
        #expect(try Executor(model: model).options.threads == ProcessInfo.processInfo.activeProcessorCount)
        // The Conv blocks split over the threads; the GEMM tests cover split GEMMs, the last checks split element-wise ops.
        let x = Tensor(shape: [2, 6, 9, 9], floats: GEMMTests.random(2 * 6 * 81, seed: 31))
        let a = try one.run(["x": x]), b = try two.run(["x": x])
        for name in ["y", "n2"] {
            GEMMTests.expectClose(try #require(b[name]).floats, try #require(a[name]).floats, tolerance: 1e-5, name)
        }
        let big = Tensor(shape: [300, 400], floats: GEMMTests.random(120_000, seed: 32))
        let bias = Tensor(shape: [400], floats: GEMMTests.random(400, seed: 33))
        #expect(Vectorized.binary(.add, big, bias, threads: 2) == Vectorized.binary(.add, big, bias, threads: 1))
        #expect(Vectorized.relu(big, threads: 2) == Vectorized.relu(big, threads: 1))
    }
}
