import Foundation
import WardenCore
import WardenTensor

/// Ops whose output size comes from an input's values: Slice, Pad, Expand, Tile and Range,
/// with the clamping and defaults of `IndexingKernels` and `LayoutKernels`.
extension ShapeInference {
    /// Slice: the sizes the kernel computes where the dim and the bounds are known; a whole-axis slice keeps any dim.
    static func slice(_ context: NodeContext, _ operands: Operands) -> [Dim]? {
        guard let x = operands.shape(0) else { return nil }
        let starts: [Int]?, ends: [Int]?, axes: [Int]?, steps: [Int]?
        if context.opset >= 10 {
            starts = operands.ints(1)
            ends = operands.ints(2)
            let count = starts?.count ?? ends?.count
            axes = operands.has(3) ? operands.ints(3) : count.map { Array(0..<$0) }
            steps = operands.has(4) ? operands.ints(4) : count.map { Array(repeating: 1, count: $0) }
        } else {
            starts = context.ints("starts")
            ends = context.ints("ends")
            axes = context.ints("axes") ?? starts.map { Array(0..<$0.count) }
            steps = starts.map { Array(repeating: 1, count: $0.count) }
        }
        var result = x
        guard let starts, let ends, let axes, let steps else {
            // Bounds computed at run time: the sliced axes become unknown, or all of them when those are not known either.
            guard let axes, case let list = axes.compactMap({ normalized($0, rank: x.count) }), list.count == axes.count else {
                return Array(repeating: .unknown, count: x.count)
            }
            for axis in list { result[axis] = .unknown }
            return result
        }
        // Lengths that differ, an axis out of range or a zero step are the kernel's to report.
        guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count else { return nil }
        let whole = Int(Int32.max) // exporters write INT_MAX or INT64_MAX for "to the end"
        for (i, rawAxis) in axes.enumerated() {
            guard let axis = normalized(rawAxis, rank: x.count) else { return nil }
            let step = min(max(steps[i], -(1 << 40)), 1 << 40)
            guard step != 0 else { return nil }
            guard case .fixed(let size) = x[axis] else {
                let forward = step == 1 && starts[i] == 0 && ends[i] >= whole
                let backward = step == -1 && (starts[i] == -1 || starts[i] >= whole) && ends[i] <= -whole
                result[axis] = forward || backward ? x[axis] : .unknown
                continue
            }
            let dim = Int(size)
            func clamp(_ value: Int, _ low: Int, _ high: Int) -> Int { min(max(value, low), high) }
            var s = starts[i] < 0 ? starts[i] + dim : starts[i]
            var e = ends[i] < 0 ? ends[i] + dim : ends[i]
            if step > 0 { s = clamp(s, 0, dim); e = clamp(e, 0, dim) } else { s = clamp(s, 0, dim - 1); e = clamp(e, -1, dim - 1) }
            let length = step > 0 ? max(0, (e - s + step - 1) / step) : max(0, (s - e - step - 1) / -step)
            result[axis] = .fixed(Int64(length))
        }
        return result
    }

    /// Pad: each padded axis grows by its begin and end pads. Pads that remove every element of a known axis are refused.
    static func pad(_ context: NodeContext, _ operands: Operands) throws -> [Dim]? {
        guard let x = operands.shape(0) else { return nil }
        let rank = x.count
        let pads: [Int]?
        var axes: [Int]? = Array(0..<rank)
        if context.opset >= 11 {
            pads = operands.ints(1)
            if operands.has(3) { axes = operands.ints(3)?.map { $0 < 0 ? $0 + rank : $0 } }
        } else {
            pads = context.ints("pads") ?? context.ints("paddings")
        }
        guard let axes, axes.allSatisfy({ (0..<rank).contains($0) }), Set(axes).count == axes.count else {
            return Array(repeating: .unknown, count: rank)
        }
        var result = x
        guard let pads else {
            for axis in axes { result[axis] = .unknown }
            return result
        }
        // A pads list of the wrong length is the kernel's to report.
        guard pads.count == 2 * axes.count else { return nil }
        for (index, axis) in axes.enumerated() {
            let begin = pads[index], end = pads[index + axes.count]
            // Pads can come from a request: sums that overflow are the kernel's to refuse.
            let (total, overflow) = begin.addingReportingOverflow(end)
            guard !overflow else { return nil }
            switch x[axis] {
            case .fixed(let size):
                let (out, outOverflow) = size.addingReportingOverflow(Int64(total))
                guard !outOverflow else { return nil }
                if total < 0, out <= 0 {
                    throw Mismatch(why: "pads \(begin) and \(end) on axis \(axis) remove all \(size) elements of \(describe(x))")
                }
                result[axis] = .fixed(out)
            default:
                result[axis] = total == 0 ? x[axis] : .unknown
            }
        }
        return result
    }

    /// Expand: the input broadcast with the target shape, both ways as the kernel does.
    static func expand(_ operands: Operands) throws -> [Dim]? {
        guard let x = operands.shape(0), let target = vector(operands, 1) else { return nil }
        guard !target.contains(where: \.isNegative) else { return nil } // the kernel's to report
        do {
            return try broadcast(x, target)
        } catch is Mismatch {
            throw Mismatch(why: "cannot expand \(describe(x)) to \(describe(target))")
        }
    }

    /// Tile: each dim times its repeat count.
    static func tile(_ operands: Operands) -> [Dim]? {
        guard let x = operands.shape(0), let repeats = vector(operands, 1), repeats.count == x.count else { return nil }
        return zip(x, repeats).map { dim, count in
            switch (dim, count) {
            case (.fixed(let size), .fixed(let times)): return times < 0 ? .unknown : .fixed(size.multipliedReportingOverflow(by: times).partialValue)
            case (_, .fixed(1)): return dim
            case (.fixed(1), _): return count
            default: return .unknown
            }
        }
    }

    /// Range: max(ceil((limit - start) / delta), 0) elements, counted like the kernel; `Range(0, n, 1)` has n.
    static func range(_ operands: Operands) -> [Dim]? {
        let tensors = (0..<3).map(operands.tensor)
        if case let constants = tensors.compactMap({ $0 }), constants.count == 3, constants.allSatisfy({ $0.elementCount == 1 }) {
            let values: [Double]
            if case .int64 = constants[0].storage { values = constants.map { Double($0.int64s[0]) } } else { values = constants.map { Double($0.floats[0]) } }
            return count(values[0], values[1], values[2]).map { [.fixed(Int64($0))] } ?? [.unknown]
        }
        guard let start = operands.elements(0), let limit = operands.elements(1), let delta = operands.elements(2),
              start.count == 1, limit.count == 1, delta.count == 1 else { return [.unknown] }
        if let values = sizes(start + limit + delta) {
            return count(Double(values[0]), Double(values[1]), Double(values[2])).map { [.fixed(Int64($0))] } ?? [.unknown]
        }
        return start[0] == .fixed(0) && delta[0] == .fixed(1) ? limit : [.unknown]
    }

    /// The number of elements of a range; nil for one the kernel refuses.
    private static func count(_ start: Double, _ limit: Double, _ delta: Double) -> Int? {
        guard delta != 0 else { return nil }
        let elements = ((limit - start) / delta).rounded(.up)
        guard !elements.isNaN, elements < Double(1 << 28) else { return nil }
        return elements > 0 ? Int(elements) : 0
    }
}
