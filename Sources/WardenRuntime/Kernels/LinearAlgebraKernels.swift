import Foundation
import WardenCore
import WardenTensor

/// MatMul and Gemm on float32, on the packed SIMD GEMM (`GEMM`).
enum LinearAlgebraKernels {
    /// What the executor builds at load time for a MatMul or Gemm whose B is
    /// an initializer: B packed once, and a bias and Relu fused from the
    /// nodes that followed.
    struct Plan: Sendable {
        /// B packed for `kernel`, with the dims it was packed from.
        var packedB: PackedPanels? = nil
        var kernel: GEMM.Microkernel = .best
        var k = 0
        var n = 0
        /// Added to every row of the result (a fused `Add` of a `[n]` initializer), after alpha and beta·C.
        var columnBias: [Float]? = nil
        var relu = false
    }

    static func register(_ table: inout [String: Kernel]) {
        table["MatMul"] = { context, inputs in
            let a = try context.input(inputs, 0)
            let b = try context.input(inputs, 1)
            return [try matmul(a, b, context)]
        }
        table["Gemm"] = { context, inputs in [try gemm(context, inputs)] }
    }

    static func gemm(_ context: NodeContext, _ inputs: [Tensor?]) throws -> Tensor {
        let a = try context.input(inputs, 0)
        let b = try context.input(inputs, 1)
        guard a.shape.count == 2, b.shape.count == 2 else { throw context.fail("A and B must be matrices, got \(a.shapeDescription) and \(b.shapeDescription)") }
        let transA = context.int("transA", 0) != 0
        let transB = context.int("transB", 0) != 0
        let alpha = context.float("alpha", 1)
        let beta = context.float("beta", 1)
        let (m, k) = transA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (kb, n) = transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard k == kb else { throw context.fail("inner dimensions differ: A is \(a.shapeDescription)\(transA ? "ᵀ" : ""), B is \(b.shapeDescription)\(transB ? "ᵀ" : "")") }
        let plan = context.prepared as? Plan
        var epilogue = GEMM.Epilogue(alpha: alpha, relu: plan?.relu ?? false)
        // C as a bias: a vector along N or M goes to the epilogue; anything else is broadcast into the output first.
        var columnBias = plan?.columnBias
        var rowBias: [Float]? = nil
        var prefill: [Float]? = nil
        if inputs.count > 2, let c = inputs[2], beta != 0 {
            let values = c.floats
            let scaled = beta == 1 ? values : values.map { $0 * beta }
            if values.count == n, c.shape.last == n || c.shape.isEmpty || n == 1, c.shape.dropLast().allSatisfy({ $0 == 1 }) {
                columnBias = add(columnBias, scaled)
            } else if values.count == 1 {
                columnBias = add(columnBias, [Float](repeating: scaled[0], count: n))
            } else if values.count == m, c.shape == [m, 1] {
                rowBias = scaled
            } else {
                prefill = try ElementwiseKernels.broadcast([Float](repeating: 0, count: m * n), [m, n], scaled, c.shape, op: context.name, +).1
                epilogue.accumulate = true
            }
        }
        let right: Operand
        if let plan, let packed = plan.packedB, plan.k == k, plan.n == n { right = .packed(packed, plan.kernel) } else { right = .tensor(b) }
        let aStrides = transA ? (1, m) : (k, 1)
        let bStrides = transB ? (1, k) : (n, 1)
        // Without a prefill the GEMM writes every element.
        var out = prefill ?? context.outputFloats(count: m * n, zeroed: k == 0)
        try withFloats(a) { aValues in
            try right.withOperand(rowStride: bStrides.0, columnStride: bStrides.1) { bOperand, kernel in
                try withOptional(columnBias) { columnPointer in
                    try withOptional(rowBias) { rowPointer in
                        epilogue.columnBias = columnPointer
                        epilogue.rowBias = rowPointer
                        out.withUnsafeMutableBufferPointer { c in
                            guard let base = c.baseAddress else { return }
                            let aBase = aValues.baseAddress ?? GEMM.placeholder
                            GEMM.multiply(.matrix(aBase, rowStride: aStrides.0, columnStride: aStrides.1), bOperand, m: m, n: n, k: k,
                                          into: base, ldc: n, epilogue: epilogue, threads: context.threads, kernel: kernel)
                        }
                    }
                }
            }
        }
        return Tensor(shape: [m, n], floats: out)
    }

    static func matmul(_ a: Tensor, _ b: Tensor, _ context: NodeContext) throws -> Tensor {
        var aShape = a.shape
        var bShape = b.shape
        let aVector = aShape.count == 1
        let bVector = bShape.count == 1
        if aVector { aShape = [1] + aShape }
        if bVector { bShape = bShape + [1] }
        guard aShape.count >= 2, bShape.count >= 2 else { throw context.fail("inputs must have rank ≥ 1") }
        var m = aShape[aShape.count - 2]
        let k = aShape[aShape.count - 1]
        let kb = bShape[bShape.count - 2], n = bShape[bShape.count - 1]
        guard k == kb else { throw context.fail("inner dimensions differ: \(a.shapeDescription) × \(b.shapeDescription)") }
        let aBatch = Array(aShape.dropLast(2)), bBatch = Array(bShape.dropLast(2))
        let batch = try Shape.broadcast(aBatch, bBatch, op: context.name)
        var batchCount = batch.reduce(1, *)
        var shape = batch + [m, n]
        if aVector { shape.remove(at: shape.count - 2) }
        if bVector { shape.removeLast() }
        // One B for every batch of A: the batches are just more rows of A.
        let foldBatch = bBatch.allSatisfy { $0 == 1 } && batch == aBatch
        if foldBatch {
            m *= batchCount
            batchCount = 1
        }
        let plan = context.prepared as? Plan
        let right: Operand
        if let plan, let packed = plan.packedB, plan.k == k, plan.n == n, foldBatch { right = .packed(packed, plan.kernel) } else { right = .tensor(b) }
        let epilogue = GEMM.Epilogue(relu: plan?.relu ?? false)
        var out = context.outputFloats(count: batchCount * m * n, zeroed: k == 0)
        try withFloats(a) { aValues in
            try right.withOperand(rowStride: n, columnStride: 1) { bOperand, kernel in
                try withOptional(plan?.columnBias) { bias in
                    var local = epilogue
                    local.columnBias = bias
                    out.withUnsafeMutableBufferPointer { c in
                        guard let cBase = c.baseAddress else { return }
                        let aBase = aValues.baseAddress ?? GEMM.placeholder
                        for index in 0..<batchCount {
                            let aIndex = broadcastIndex(index, batch, aBatch)
                            var operand = bOperand
                            if case .matrix(let bBase, _, _) = bOperand {
                                operand = .matrix(bBase + broadcastIndex(index, batch, bBatch) * k * n, rowStride: n)
                            }
                            GEMM.multiply(.matrix(aBase + aIndex * m * k, rowStride: k), operand, m: m, n: n, k: k,
                                          into: cBase + index * m * n, ldc: n, epilogue: local, threads: context.threads, kernel: kernel)
                        }
                    }
                }
            }
        }
        return Tensor(shape: shape, floats: out)
    }

    /// The B side of a product: a tensor from the graph, or panels packed at load time.
    enum Operand {
        case tensor(Tensor)
        case packed(PackedPanels, GEMM.Microkernel)

        func withOperand<R>(rowStride: Int, columnStride: Int, _ body: (GEMM.Operand, GEMM.Microkernel) throws -> R) throws -> R {
            switch self {
            case .packed(let panels, let kernel):
                return try body(.packed(panels), kernel)
            case .tensor(let tensor):
                return try withFloats(tensor) { values in
                    let base = values.baseAddress ?? GEMM.placeholder
                    return try body(.matrix(base, rowStride: rowStride, columnStride: columnStride), .best)
                }
            }
        }
    }

    /// The tensor's values as float, without a copy when they already are.
    static func withFloats<R>(_ tensor: Tensor, _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
        try tensor.withFloatBuffer(body)
    }

    static func withOptional<R>(_ values: [Float]?, _ body: (UnsafePointer<Float>?) throws -> R) throws -> R {
        guard let values else { return try body(nil) }
        return try values.withUnsafeBufferPointer { try body($0.baseAddress) }
    }

    static func add(_ a: [Float]?, _ b: [Float]) -> [Float] {
        guard let a else { return b }
        return zip(a, b).map(+)
    }

    /// The flat index into an operand's batch of the `index`-th element of the broadcast batch.
    static func broadcastIndex(_ index: Int, _ batch: [Int], _ operand: [Int]) -> Int {
        guard !operand.isEmpty else { return 0 }
        let padded = Array(repeating: 1, count: batch.count - operand.count) + operand
        var remainder = index
        var result = 0
        var stride = 1
        for axis in batch.indices.reversed() {
            let coordinate = remainder % batch[axis]
            remainder /= batch[axis]
            if padded[axis] != 1 { result += coordinate * stride }
            stride *= padded[axis]
        }
        return result
    }

    /// C[m×n] = A[m×k] · B[k×n], row-major, on one thread.
    static func multiply(_ a: [Float], _ b: [Float], m: Int, k: Int, n: Int) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    guard let cBase = c.baseAddress else { return }
                    let aBase = a.baseAddress ?? GEMM.placeholder, bBase = b.baseAddress ?? GEMM.placeholder
                    GEMM.multiply(.matrix(aBase, rowStride: k), .matrix(bBase, rowStride: n), m: m, n: n, k: k, into: cBase, ldc: n)
                }
            }
        }
        return c
    }

    /// The reference product: a plain i-k-j loop, kept to check `GEMM` against.
    static func naiveMultiply(_ a: [Float], _ b: [Float], m: Int, k: Int, n: Int) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for p in 0..<k {
                let scale = a[i * k + p]
                for j in 0..<n { c[i * n + j] += scale * b[p * n + j] }
            }
        }
        return c
    }
}
