import Foundation
import WardenCore
import WardenONNX
import WardenTensor

/// The elements of small integer tensors computed from shapes, carried as dims.
///
/// PyTorch exports `x.view(x.size(0), -1)` as Shape → Gather → Unsqueeze →
/// Concat → Reshape; carrying `Shape(x)`'s elements (`[batch, 3, 4]`) through
/// that chain gives the Reshape a `[batch, -1]` target and a `[batch, 12]`
/// output instead of an unknown one. Each rule mirrors its kernel on int64
/// values; where the result cannot be known exactly (a symbol times 2) the
/// element is unknown, never a guess.
extension ShapeInference {
    /// The elements of a node's first output, when its inputs' are known; nil otherwise.
    /// - Parameter output: the output's inferred shape; carried elements are only kept for a scalar or a short vector.
    static func carried(_ context: NodeContext, _ operands: Operands, output: [Dim]) -> [Dim]? {
        switch context.node.opType {
        case "Shape":
            guard let x = operands.shape(0) else { return nil }
            return Array(x[shapeRange(context, rank: x.count)])
        case "Size":
            guard let x = operands.shape(0) else { return nil }
            return [product(x[...])]
        case "Identity", "Squeeze", "Unsqueeze", "Reshape", "Flatten":
            return operands.elements(0)
        case "Cast":
            guard let x = operands.elements(0) else { return nil }
            let to = context.int("to", 0)
            if to == 9 { return x.map { $0 == .fixed(0) ? .fixed(0) : $0.isDynamic ? .unknown : .fixed(1) } } // bool
            // The types that hold a dim exactly; a value outside the target's range would wrap or round, so it becomes unknown.
            let range: ClosedRange<Int64>
            switch to {
            case 7, 11: range = .min ... .max // int64, double (dims are far below 2^53)
            case 13: range = 0 ... .max // uint64
            case 6: range = Int64(Int32.min) ... Int64(Int32.max)
            case 12: range = 0 ... Int64(UInt32.max)
            case 1: range = -(1 << 24) ... (1 << 24) // float: every integer up to 2^24
            default: return nil
            }
            return x.map { dim in
                if case .fixed(let size) = dim, !range.contains(size) { return .unknown }
                return dim
            }
        case "Gather":
            guard let data = operands.elements(0), operands.shape(0)?.count == 1, let indices = operands.ints(1) else { return nil }
            var picked: [Dim] = []
            for index in indices {
                guard let position = normalized(index, rank: data.count) else { return nil }
                picked.append(data[position])
            }
            return picked
        case "Slice":
            return sliceElements(context, operands)
        case "Concat":
            var joined: [Dim] = []
            for index in 0..<operands.count where operands.has(index) {
                guard let part = operands.elements(index) else { return nil }
                joined += part
            }
            return joined
        case "Add", "Sub", "Mul", "Div", "Max", "Min", "Equal":
            guard let a = operands.elements(0), let b = operands.elements(1) else { return nil }
            let op = context.node.opType
            return elementwise(a, b) { pair in arithmetic(op, pair) }
        case "Where":
            guard let condition = operands.elements(0), let x = operands.elements(1), let y = operands.elements(2) else { return nil }
            let count = max(condition.count, x.count, y.count)
            guard let conditions = expanded(condition, to: count), let xs = expanded(x, to: count), let ys = expanded(y, to: count) else { return nil }
            return (0..<count).map { index in
                guard case .fixed(let flag) = conditions[index] else { return .unknown }
                return flag != 0 ? xs[index] : ys[index]
            }
        case "ConstantOfShape":
            guard let count = sizes(output).flatMap(Shape.count), count <= elementLimit else { return nil }
            var fill: Int64 = 0
            if let value = context.attribute("value") {
                guard let tensor = try? TensorDecoding.tensor(value.t, resolver: context.resolver) else { return nil }
                switch tensor.storage {
                case .int64, .int32, .int8, .uint8, .bool: fill = tensor.int64s.first ?? 0
                default: return nil
                }
            }
            return Array(repeating: .fixed(fill), count: count)
        case "Range":
            guard let start = operands.elements(0), let delta = operands.elements(2), start.count == 1, delta.count == 1,
                  case .fixed(let first) = start[0], case .fixed(let step) = delta[0],
                  let length = sizes(output).flatMap(Shape.count), length <= elementLimit else { return nil }
            return (0..<Int64(length)).map { .fixed(first &+ $0 &* step) }
        default:
            return nil
        }
    }

    /// Slice of a carried vector, with the kernel's clamping.
    private static func sliceElements(_ context: NodeContext, _ operands: Operands) -> [Dim]? {
        guard let data = operands.elements(0), operands.shape(0)?.count == 1 else { return nil }
        let start: Int, end: Int, step: Int
        if context.opset >= 10 {
            guard let starts = operands.ints(1), let ends = operands.ints(2), starts.count == 1, ends.count == 1 else { return nil }
            if operands.has(3) { guard let axes = operands.ints(3), axes == [0] || axes == [-1] else { return nil } }
            let steps = operands.has(4) ? operands.ints(4) : [1]
            guard let steps, steps.count == 1 else { return nil }
            (start, end, step) = (starts[0], ends[0], min(max(steps[0], -(1 << 40)), 1 << 40))
        } else {
            guard let starts = context.ints("starts"), let ends = context.ints("ends"), starts.count == 1, ends.count == 1 else { return nil }
            (start, end, step) = (starts[0], ends[0], 1)
        }
        guard step != 0 else { return nil }
        let dim = data.count
        func clamp(_ value: Int, _ low: Int, _ high: Int) -> Int { min(max(value, low), high) }
        var s = start < 0 ? start + dim : start
        var e = end < 0 ? end + dim : end
        if step > 0 { s = clamp(s, 0, dim); e = clamp(e, 0, dim) } else { s = clamp(s, 0, dim - 1); e = clamp(e, -1, dim - 1) }
        return Array(stride(from: s, to: e, by: step).map { data[$0] })
    }

    /// Two vectors combined element by element, a length-1 one repeated; nil when the lengths do not broadcast.
    private static func elementwise<T>(_ a: [Dim], _ b: [Dim], _ combine: ((Dim, Dim)) -> T) -> [T]? {
        let count = max(a.count, b.count)
        guard let left = expanded(a, to: count), let right = expanded(b, to: count) else { return nil }
        return zip(left, right).map(combine)
    }

    /// A vector repeated to `count` elements when it has one; nil when it has another length.
    private static func expanded(_ values: [Dim], to count: Int) -> [Dim]? {
        if values.count == count { return values }
        return values.count == 1 ? Array(repeating: values[0], count: count) : nil
    }

    /// One element of an integer Add, Sub, Mul, Div, Max, Min or Equal; a symbol survives only an identity (x · 1, x + 0).
    private static func arithmetic(_ op: String, _ pair: (Dim, Dim)) -> Dim {
        switch (op, pair.0, pair.1) {
        case (_, .fixed(let a), .fixed(let b)):
            switch op {
            case "Add": return .fixed(a &+ b)
            case "Sub": return .fixed(a &- b)
            case "Mul": return .fixed(a &* b)
            // Division of these small integers: exact quotients only, so float and integer division agree.
            case "Div": return b != 0 && a != .min && a % b == 0 ? .fixed(a / b) : .unknown
            case "Max": return .fixed(max(a, b))
            case "Min": return .fixed(min(a, b))
            default: return .fixed(a == b ? 1 : 0)
            }
        case ("Add", let x, .fixed(0)), ("Add", .fixed(0), let x), ("Sub", let x, .fixed(0)),
             ("Mul", let x, .fixed(1)), ("Mul", .fixed(1), let x), ("Div", let x, .fixed(1)):
            return x
        case ("Max", let x, .fixed(let b)), ("Max", .fixed(let b), let x):
            return b <= 0 && x != .unknown ? x : .unknown // a size is never below 0
        case ("Equal", .symbolic(let a), .symbolic(let b)) where a == b:
            return .fixed(1)
        case ("Equal", .symbolic, .fixed(let b)), ("Equal", .fixed(let b), .symbolic):
            return b < 0 ? .fixed(0) : .unknown // a size never equals -1
        default:
            return .unknown
        }
    }
}
