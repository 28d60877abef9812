import Foundation
import WardenCore
import WardenONNX
import WardenTensor

/// Gather, Slice, Split, Expand, Tile, ConstantOfShape, Range, Size and the
/// Reduce* family. Gather and Slice keep every element type; the others move
/// values as Float unless the input is int64.
enum IndexingKernels {
    static func register(_ table: inout [String: Kernel]) {
        table["Size"] = { context, inputs in [Tensor(shape: [], int64s: [Int64(try context.input(inputs, 0).elementCount)])] }
        table["ConstantOfShape"] = { context, inputs in
            let shape = try context.input(inputs, 0).int64s.map(Int.init)
            guard let count = Shape.count(shape), count <= Shape.maximumElements else {
                throw context.fail("shape \(shape) is invalid or too large: it has a negative dim or more than \(Shape.maximumElements) elements")
            }
            if let value = context.attribute("value") {
                let fill = try TensorDecoding.tensor(value.t, resolver: context.resolver)
                if case .int64(let v) = fill.storage { return [Tensor(shape: shape, int64s: Array(repeating: v.first ?? 0, count: count))] }
                return [Tensor(shape: shape, floats: Array(repeating: fill.floats.first ?? 0, count: count))]
            }
            return [Tensor(shape: shape, floats: Array(repeating: 0, count: count))]
        }
        table["Range"] = { context, inputs in
            let start = try context.input(inputs, 0), limit = try context.input(inputs, 1), delta = try context.input(inputs, 2)
            guard start.elementCount == 1, limit.elementCount == 1, delta.elementCount == 1 else {
                throw context.fail("start, limit and delta must be scalars; got shapes \(start.shapeDescription), \(limit.shapeDescription), \(delta.shapeDescription)")
            }
            // max(ceil((limit - start) / delta), 0) elements, counted in Double so no operand can overflow it.
            func count(_ s: Double, _ l: Double, _ d: Double) throws -> Int {
                guard d != 0 else { throw context.fail("delta is 0") }
                let elements = ((l - s) / d).rounded(.up)
                guard !elements.isNaN, elements < Double(1 << 28) else {
                    throw context.fail("the range from \(s) to \(l) by \(d) has too many elements (at most \(1 << 28))")
                }
                return elements > 0 ? Int(elements) : 0
            }
            if case .int64 = start.storage {
                let (s, l, d) = (start.int64s[0], limit.int64s[0], delta.int64s[0])
                let elements = try count(Double(s), Double(l), Double(d))
                return [Tensor(shape: [elements], int64s: (0..<elements).map { s &+ Int64($0) &* d })]
            }
            let (s, l, d) = (start.floats[0], limit.floats[0], delta.floats[0])
            let elements = try count(Double(s), Double(l), Double(d))
            return [Tensor(shape: [elements], floats: (0..<elements).map { s + Float($0) * d })]
        }
        table["Gather"] = { context, inputs in
            let data = try context.input(inputs, 0)
            let indices = try context.input(inputs, 1)
            let axis = try Shape.axis(context.int("axis", 0), rank: data.shape.count, op: context.name)
            let size = data.shape[axis]
            let (outer, _, inner) = ReductionKernels.split(data.shape, axis)
            let picks = try indices.int64s.map { index -> Int in
                let normalized = index < 0 ? Int(index) + size : Int(index)
                guard (0..<size).contains(normalized) else { throw context.fail("index \(index) is out of range for axis \(axis) of size \(size)") }
                return normalized
            }
            let shape = Array(data.shape[..<axis]) + indices.shape + Array(data.shape[(axis + 1)...])
            // Every element type moves as it is; a table left in its mapped file is read only at the picked rows.
            var sources: [Int] = []
            sources.reserveCapacity(outer * picks.count * inner)
            for o in 0..<outer { for pick in picks { sources += ((o * size + pick) * inner)..<((o * size + pick + 1) * inner) } }
            let storage = data.storage.elements(at: sources)
            return [Tensor(shape: shape, storage: storage)]
        }
        table["Slice"] = { context, inputs in
            let data = try context.input(inputs, 0)
            let rank = data.shape.count
            let starts: [Int], ends: [Int], axes: [Int], steps: [Int]
            if context.opset >= 10 {
                starts = try context.input(inputs, 1).int64s.map { Int(clamping: $0) }
                ends = try context.input(inputs, 2).int64s.map { Int(clamping: $0) }
                axes = inputs.count > 3 ? inputs[3]?.int64s.map { Int($0) } ?? Array(0..<starts.count) : Array(0..<starts.count)
                steps = inputs.count > 4 ? inputs[4]?.int64s.map { Int(clamping: $0) } ?? Array(repeating: 1, count: starts.count) : Array(repeating: 1, count: starts.count)
            } else {
                starts = context.ints("starts") ?? []
                ends = context.ints("ends") ?? []
                axes = context.ints("axes") ?? Array(0..<starts.count)
                steps = Array(repeating: 1, count: starts.count)
            }
            guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count else { throw context.fail("starts, ends, axes and steps differ in length") }
            var begin = Array(repeating: 0, count: rank), stride = Array(repeating: 1, count: rank), shape = data.shape
            for (i, rawAxis) in axes.enumerated() {
                let axis = try Shape.axis(rawAxis, rank: rank, op: context.name)
                let dim = data.shape[axis]
                // A step larger than any dim takes one element either way; bounding it keeps
                // the arithmetic below from overflowing on steps a request can carry (±2^63).
                let step = min(max(steps[i], -(1 << 40)), 1 << 40)
                guard step != 0 else { throw context.fail("a step is 0") }
                func clamp(_ value: Int, _ low: Int, _ high: Int) -> Int { min(max(value, low), high) }
                var s = starts[i] < 0 ? starts[i] + dim : starts[i]
                var e = ends[i] < 0 ? ends[i] + dim : ends[i]
                if step > 0 { s = clamp(s, 0, dim); e = clamp(e, 0, dim) } else { s = clamp(s, 0, dim - 1); e = clamp(e, -1, dim - 1) }
                begin[axis] = s
                stride[axis] = step
                shape[axis] = step > 0 ? max(0, (e - s + step - 1) / step) : max(0, (s - e - step - 1) / -step)
            }
            let inStrides = Shape.strides(data.shape)
            let total = Shape.count(shape) ?? 0
            var sources: [Int] = []
            sources.reserveCapacity(total)
            var index = Array(repeating: 0, count: rank)
            for _ in 0..<total {
                sources.append((0..<rank).reduce(0) { $0 + (begin[$1] + index[$1] * stride[$1]) * inStrides[$1] })
                var axis = rank - 1
                while axis >= 0 { index[axis] += 1; if index[axis] < shape[axis] { break }; index[axis] = 0; axis -= 1 }
            }
            return [Tensor(shape: shape, storage: data.storage.elements(at: sources))]
        }
        table["Expand"] = { context, inputs in
            let x = try context.input(inputs, 0)
            let requested = try context.input(inputs, 1).int64s.map(Int.init)
            let shape = try Shape.broadcast(x.shape, requested, op: context.name)
            if case .int64(let values) = x.storage {
                let filler = [Int64](repeating: 0, count: Shape.count(shape) ?? 0)
                return [Tensor(shape: shape, int64s: try ElementwiseKernels.broadcast(values, x.shape, filler, shape, op: context.name) { v, _ in v }.1)]
            }
            return [Tensor(shape: shape, floats: try MoreElementwiseKernels.expand(x.floats, x.shape, to: shape, op: context.name))]
        }
        table["Tile"] = { context, inputs in
            let x = try context.input(inputs, 0)
            let repeats = try context.input(inputs, 1).int64s.map(Int.init)
            guard repeats.count == x.shape.count, repeats.allSatisfy({ $0 >= 0 }) else { throw context.fail("repeats \(repeats) do not fit \(x.shapeDescription)") }
            // Repeats can come from a request: multiply without trapping, then hold the size to the cap.
            let products = zip(x.shape, repeats).map { $0.multipliedReportingOverflow(by: $1) }
            let shape = products.map(\.partialValue)
            guard !products.contains(where: \.overflow), let total = Shape.count(shape), total < 1 << 28 else { throw context.fail("the tiled tensor is too large") }
            let inStrides = Shape.strides(x.shape)
            var sources: [Int] = []
            var index = Array(repeating: 0, count: shape.count)
            for _ in 0..<total {
                sources.append(shape.indices.reduce(0) { $0 + (index[$1] % max(x.shape[$1], 1)) * inStrides[$1] })
                var axis = shape.count - 1
                while axis >= 0 { index[axis] += 1; if index[axis] < shape[axis] { break }; index[axis] = 0; axis -= 1 }
            }
            if case .int64(let values) = x.storage { return [Tensor(shape: shape, int64s: sources.map { values[$0] })] }
            let values = x.floats
            return [Tensor(shape: shape, floats: sources.map { values[$0] })]
        }
        for op in ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin"] {
            table[op] = { context, inputs in
                let x = try context.input(inputs, 0)
                let fromInput = op == "ReduceSum" ? context.opset >= 13 : context.opset >= 18
                var axes: [Int]? = fromInput ? (inputs.count > 1 ? inputs[1]?.int64s.map(Int.init) : nil) : context.ints("axes")
                if axes?.isEmpty == true, context.int("noop_with_empty_axes", 0) != 0 { return [x] }
                if axes?.isEmpty == true { axes = nil }
                let reduced = try Set((axes ?? Array(x.shape.indices)).map { try Shape.axis($0, rank: x.shape.count, op: context.name) })
                let keepDims = context.int("keepdims", 1) != 0
                let outShape = x.shape.enumerated().map { reduced.contains($0.offset) ? 1 : $0.element }
                let outCount = outShape.reduce(1, *)
                let values = x.floats
                var out: [Float]
                switch op {
                case "ReduceMax": out = reduce(values, x.shape, reduced, from: -.infinity) { Swift.max($0, $1) }
                case "ReduceMin": out = reduce(values, x.shape, reduced, from: .infinity) { Swift.min($0, $1) }
                default: out = reduce(values, x.shape, reduced, from: 0, +)
                }
                if op == "ReduceMean" {
                    let count = Float(values.count / max(outCount, 1))
                    for index in out.indices { out[index] /= count }
                }
                let shape = keepDims ? outShape : x.shape.enumerated().filter { !reduced.contains($0.offset) }.map(\.element)
                return [Tensor(shape: shape, floats: out)]
            }
        }
    }

    /// `values` (shaped `shape`) folded with `combine` over the `reduced` axes, in row-major order of the axes kept.
    /// Neighbouring axes of the same kind are merged first; one block of reduced axes (the usual case) runs as
    /// (outer, reduced, inner) loops whose innermost runs over contiguous values.
    @inline(__always)
    static func reduce(_ values: [Float], _ shape: [Int], _ reduced: Set<Int>, from initial: Float, _ combine: (Float, Float) -> Float) -> [Float] {
        var blocks: [(size: Int, reduced: Bool)] = []
        for axis in shape.indices {
            let isReduced = reduced.contains(axis)
            if let last = blocks.last, last.reduced == isReduced { blocks[blocks.count - 1].size *= shape[axis] } else { blocks.append((shape[axis], isReduced)) }
        }
        let kept = blocks.filter { !$0.reduced }.reduce(1) { $0 * $1.size }
        var out = [Float](repeating: initial, count: kept)
        guard !values.isEmpty else { return out }
        let reducedBlocks = blocks.indices.filter { blocks[$0].reduced }
        if reducedBlocks.count <= 1 {
            let middle = reducedBlocks.first
            let outer = middle.map { blocks[..<$0].reduce(1) { $0 * $1.size } } ?? kept
            let size = middle.map { blocks[$0].size } ?? 1
            let inner = middle.map { blocks[($0 + 1)...].reduce(1) { $0 * $1.size } } ?? 1
            values.withUnsafeBufferPointer { source in
                out.withUnsafeMutableBufferPointer { target in
                    for o in 0..<outer {
                        let row = o * size * inner, result = o * inner
                        if inner == 1 {
                            var accumulator = initial
                            for j in 0..<size { accumulator = combine(accumulator, source[row + j]) }
                            target[result] = accumulator
                            continue
                        }
                        for j in 0..<size {
                            let line = row + j * inner
                            for i in 0..<inner { target[result + i] = combine(target[result + i], source[line + i]) }
                        }
                    }
                }
            }
            return out
        }
        // Several separate blocks of reduced axes: walk every value, moving the output index along.
        let sizes = blocks.map(\.size)
        var outStrides = Array(repeating: 0, count: blocks.count)
        var running = 1
        for block in blocks.indices.reversed() where !blocks[block].reduced {
            outStrides[block] = running
            running *= sizes[block]
        }
        for (value, target) in zip(values, Shape.offsets(sizes, strides: outStrides)) { out[target] = combine(out[target], value) }
        return out
    }
}
