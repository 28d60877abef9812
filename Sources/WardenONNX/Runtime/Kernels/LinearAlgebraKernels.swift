import Foundation
import WardenCore

/// MatMul and Gemm on float32.
enum LinearAlgebraKernels {
    static func register(_ table: inout [String: Kernel]) {
        table["MatMul"] = { context, inputs in
            let a = try context.input(inputs, 0)
            let b = try context.input(inputs, 1)
            return [try matmul(a, b, context)]
        }
        table["Gemm"] = { context, inputs in
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
            let left = transA ? transpose(a.floats, rows: a.shape[0], columns: a.shape[1]) : a.floats
            let right = transB ? transpose(b.floats, rows: b.shape[0], columns: b.shape[1]) : b.floats
            var out = multiply(left, right, m: m, k: k, n: n)
            if alpha != 1 { for index in out.indices { out[index] *= alpha } }
            if inputs.count > 2, let c = inputs[2] {
                let (_, bias) = try ElementwiseKernels.broadcast(out, [m, n], c.floats.map { $0 * beta }, c.shape, op: context.name, +)
                out = bias
            }
            return [Tensor(shape: [m, n], floats: out)]
        }
    }

    static func matmul(_ a: Tensor, _ b: Tensor, _ context: NodeContext) throws -> Tensor {
        var aShape = a.shape
        var bShape = b.shape
        let aVector = aShape.count == 1
        let bVector = bShape.count == 1
        if aVector { aShape = [1] + aShape }
        if bVector { bShape = bShape + [1] }
        guard aShape.count >= 2, bShape.count >= 2 else { throw context.fail("inputs must have rank ≥ 1") }
        let m = aShape[aShape.count - 2], k = aShape[aShape.count - 1]
        let kb = bShape[bShape.count - 2], n = bShape[bShape.count - 1]
        guard k == kb else { throw context.fail("inner dimensions differ: \(a.shapeDescription) × \(b.shapeDescription)") }
        let batch = try Shape.broadcast(Array(aShape.dropLast(2)), Array(bShape.dropLast(2)), op: context.name)
        let batchCount = batch.reduce(1, *)
        let aBatch = Array(aShape.dropLast(2)), bBatch = Array(bShape.dropLast(2))
        let aValues = a.floats, bValues = b.floats
        var out: [Float] = []
        out.reserveCapacity(batchCount * m * n)
        for index in 0..<batchCount {
            let aIndex = broadcastIndex(index, batch, aBatch)
            let bIndex = broadcastIndex(index, batch, bBatch)
            let left = Array(aValues[(aIndex * m * k)..<((aIndex + 1) * m * k)])
            let right = Array(bValues[(bIndex * k * n)..<((bIndex + 1) * k * n)])
            out += multiply(left, right, m: m, k: k, n: n)
        }
        var shape = batch + [m, n]
        if aVector { shape.remove(at: shape.count - 2) }
        if bVector { shape.removeLast() }
        return Tensor(shape: shape, floats: out)
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

    /// C[m×n] = A[m×k] · B[k×n], row-major, i-k-j order so the inner loop streams rows of B.
    static func multiply(_ a: [Float], _ b: [Float], m: Int, k: Int, n: Int) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    for i in 0..<m {
                        for p in 0..<k {
                            let scale = a[i * k + p]
                            if scale == 0 { continue }
                            let row = p * n
                            let out = i * n
                            for j in 0..<n { c[out + j] += scale * b[row + j] }
                        }
                    }
                }
            }
        }
        return c
    }

    static func transpose(_ values: [Float], rows: Int, columns: Int) -> [Float] {
        var out = [Float](repeating: 0, count: values.count)
        for row in 0..<rows {
            for column in 0..<columns { out[column * rows + row] = values[row * columns + column] }
        }
        return out
    }
}
