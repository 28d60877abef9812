import Foundation
import WardenCore
import WardenTensor

/// More element-wise ops: activations with parameters, variadic Max/Min/Sum/Mean,
/// comparisons and logic (bool results), Where, Clip.
enum MoreElementwiseKernels {
    static func register(_ table: inout [String: Kernel]) {
        table["Elu"] = unary { context in
            let alpha = context.float("alpha", 1)
            return { $0 >= 0 ? $0 : alpha * (Foundation.exp($0) - 1) }
        }
        table["Selu"] = unary { context in
            let alpha = context.float("alpha", 1.67326319217681884765625)
            let gamma = context.float("gamma", 1.05070102214813232421875)
            return { $0 > 0 ? gamma * $0 : gamma * (alpha * Foundation.exp($0) - alpha) }
        }
        table["Gelu"] = unary { context in
            if context.string("approximate", "none") == "tanh" {
                return { 0.5 * $0 * (1 + Foundation.tanh(0.7978845608028654 * ($0 + 0.044715 * $0 * $0 * $0))) }
            }
            return { Float(0.5 * Double($0) * (1 + Foundation.erf(Double($0) / 2.0.squareRoot()))) }
        }
        table["Sign"] = unary { _ in { $0 > 0 ? 1 : $0 < 0 ? -1 : $0.isNaN ? .nan : 0 } }
        table["Softsign"] = unary { _ in { $0 / (1 + abs($0)) } }
        table["Reciprocal"] = unary { _ in { 1 / $0 } }
        table["Floor"] = unary { _ in { $0.rounded(.down) } }
        table["Ceil"] = unary { _ in { $0.rounded(.up) } }
        table["Shrink"] = unary { context in
            let bias = context.float("bias", 0)
            let lambda = context.float("lambd", 0.5)
            return { $0 < -lambda ? $0 + bias : $0 > lambda ? $0 - bias : 0 }
        }
        table["Clip"] = { context, inputs in
            let x = try context.input(inputs, 0)
            let low: Float = context.opset >= 11 ? (inputs.count > 1 ? inputs[1]?.floats.first : nil) ?? -.infinity : context.float("min", -.infinity)
            let high: Float = context.opset >= 11 ? (inputs.count > 2 ? inputs[2]?.floats.first : nil) ?? .infinity : context.float("max", .infinity)
            if case .int64(let values) = x.storage {
                return [Tensor(shape: x.shape, int64s: values.map { Swift.min(Swift.max($0, Int64(low.isFinite ? low : -9e18)), Int64(high.isFinite ? high : 9e18)) })]
            }
            return [Tensor(shape: x.shape, floats: x.floats.map { $0.isNaN ? $0 : Swift.min(Swift.max($0, low), high) })]
        }
        table["PRelu"] = { context, inputs in
            let x = try context.input(inputs, 0)
            let slope = try context.input(inputs, 1)
            var slopeShape = slope.shape
            // Before opset 7 a per-channel slope [C] lines up with axis 1, not the last axis.
            if context.opset < 7, slopeShape.count == 1, x.shape.count >= 2, slopeShape[0] == x.shape[1], slopeShape[0] != x.shape.last {
                slopeShape = [slopeShape[0]] + Array(repeating: 1, count: x.shape.count - 2)
            }
            let (shape, values) = try ElementwiseKernels.broadcast(x.floats, x.shape, slope.floats, slopeShape, op: context.name) { $0 >= 0 ? $0 : $0 * $1 }
            return [Tensor(shape: shape, floats: values)]
        }
        let variadic: [(String, @Sendable (Float, Float) -> Float)] = [
            ("Max", { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) }),
            ("Min", { $0.isNaN || $1.isNaN ? .nan : Swift.min($0, $1) }),
            ("Sum", { $0 + $1 }),
            ("Mean", { $0 + $1 }),
        ]
        for (op, function) in variadic {
            table[op] = { context, inputs in
                let tensors = inputs.compactMap { $0 }
                guard var result = tensors.first.map({ ($0.shape, $0.floats) }) else { throw context.fail("needs at least one input") }
                for tensor in tensors.dropFirst() {
                    result = try ElementwiseKernels.broadcast(result.1, result.0, tensor.floats, tensor.shape, op: context.name, function)
                }
                if op == "Mean" { result.1 = result.1.map { $0 / Float(tensors.count) } }
                return [Tensor(shape: result.0, floats: result.1)]
            }
        }
        let comparisons: [(String, @Sendable (Float, Float) -> Bool)] = [
            ("Equal", { $0 == $1 }), ("Less", { $0 < $1 }), ("Greater", { $0 > $1 }),
            ("LessOrEqual", { $0 <= $1 }), ("GreaterOrEqual", { $0 >= $1 }),
        ]
        for (op, function) in comparisons {
            table[op] = { context, inputs in
                let a = try context.input(inputs, 0)
                let b = try context.input(inputs, 1)
                if case .int64 = a.storage {
                    let (shape, values) = try ElementwiseKernels.broadcast(a.int64s.map(Double.init), a.shape, b.int64s.map(Double.init), b.shape, op: context.name) { function(Float($0), Float($1)) ? 1 : 0 }
                    return [Tensor(shape: shape, storage: .bool(values.map { $0 != 0 }))]
                }
                let (shape, values) = try ElementwiseKernels.broadcast(a.floats, a.shape, b.floats, b.shape, op: context.name) { function($0, $1) ? 1 : 0 }
                return [Tensor(shape: shape, storage: .bool(values.map { $0 != 0 }))]
            }
        }
        table["Not"] = { context, inputs in
            let x = try context.input(inputs, 0)
            return [Tensor(shape: x.shape, storage: .bool(x.floats.map { $0 == 0 }))]
        }
        table["Where"] = { context, inputs in
            let condition = try context.input(inputs, 0)
            let x = try context.input(inputs, 1)
            let y = try context.input(inputs, 2)
            let shape = try Shape.broadcast(condition.shape, try Shape.broadcast(x.shape, y.shape, op: context.name), op: context.name)
            let chosen = try expand(condition.floats, condition.shape, to: shape, op: context.name)
            let xs = try expand(x.floats, x.shape, to: shape, op: context.name)
            let ys = try expand(y.floats, y.shape, to: shape, op: context.name)
            let result = (0..<chosen.count).map { chosen[$0] != 0 ? xs[$0] : ys[$0] }
            let finalShape = shape
            if case .int64 = x.storage { return [Tensor(shape: finalShape, int64s: result.map { Tensor.int64(saturating: Double($0)) })] }
            return [Tensor(shape: finalShape, floats: result)]
        }
    }

    /// `values` of `shape` broadcast to `target`.
    static func expand(_ values: [Float], _ shape: [Int], to target: [Int], op: String) throws -> [Float] {
        let filler = [Float](repeating: 0, count: Shape.count(target) ?? 0)
        return try ElementwiseKernels.broadcast(values, shape, filler, target, op: op) { value, _ in value }.1
    }

    static func unary(_ make: @escaping @Sendable (NodeContext) -> @Sendable (Float) -> Float) -> Kernel {
        { context, inputs in
            let x = try context.input(inputs, 0)
            let function = make(context)
            return [Tensor(shape: x.shape, floats: x.floats.map(function))]
        }
    }
}
