import Foundation
import WardenCore
import WardenTensor

/// Softmax, ArgMax and reductions along an axis.
enum ReductionKernels {
    static func register(_ table: inout [String: Kernel]) {
        table["Softmax"] = { context, inputs in
            let x = try context.input(inputs, 0)
            return [try softmax(x, context, log: false)]
        }
        table["LogSoftmax"] = { context, inputs in
            let x = try context.input(inputs, 0)
            return [try softmax(x, context, log: true)]
        }
        table["ArgMax"] = { context, inputs in
            let x = try context.input(inputs, 0)
            let axis = try Shape.axis(context.int("axis", 0), rank: x.shape.count, op: context.name)
            let keepDims = context.int("keepdims", 1) != 0
            let last = context.int("select_last_index", 0) != 0
            let values = x.floats
            let (outer, size, inner) = split(x.shape, axis)
            var out: [Int64] = []
            out.reserveCapacity(outer * inner)
            for o in 0..<outer {
                for i in 0..<inner {
                    var best = 0
                    for j in 1..<max(size, 1) {
                        let value = values[(o * size + j) * inner + i]
                        let current = values[(o * size + best) * inner + i]
                        if value > current || (last && value == current) { best = j }
                    }
                    out.append(Int64(best))
                }
            }
            var shape = x.shape
            if keepDims { shape[axis] = 1 } else { shape.remove(at: axis) }
            return [Tensor(shape: shape, int64s: out)]
        }
    }

    /// (product of dims before axis, dim at axis, product of dims after axis).
    static func split(_ shape: [Int], _ axis: Int) -> (Int, Int, Int) {
        (shape[..<axis].reduce(1, *), shape.isEmpty ? 1 : shape[axis], shape[(axis + 1)...].reduce(1, *))
    }

    /// Softmax along `axis` (opset 13+), or over the flattened dims from `axis` on (before 13).
    static func softmax(_ x: Tensor, _ context: NodeContext, log: Bool) throws -> Tensor {
        let rank = x.shape.count
        let axis = try Shape.axis(context.int("axis", context.opset >= 13 ? -1 : 1), rank: rank, op: context.name)
        var values = context.outputCopy(of: x)
        let (outer, size, inner): (Int, Int, Int) =
            context.opset >= 13 ? split(x.shape, axis) : (x.shape[..<axis].reduce(1, *), x.shape[axis...].reduce(1, *), 1)
        for o in 0..<outer {
            for i in 0..<inner {
                var maximum = -Float.infinity
                for j in 0..<size { maximum = max(maximum, values[(o * size + j) * inner + i]) }
                var sum: Float = 0
                for j in 0..<size {
                    let index = (o * size + j) * inner + i
                    let e = Foundation.exp(values[index] - maximum)
                    values[index] = e
                    sum += e
                }
                for j in 0..<size {
                    let index = (o * size + j) * inner + i
                    values[index] = log ? Foundation.log(values[index] / sum) : values[index] / sum
                }
            }
        }
        return Tensor(shape: x.shape, floats: values)
    }
}
