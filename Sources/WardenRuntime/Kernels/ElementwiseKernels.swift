import Foundation
import WardenCore
import WardenTensor

/// Element-wise arithmetic with NumPy broadcasting, and activations.
enum ElementwiseKernels {
    static func register(_ table: inout [String: Kernel]) {
        let binary: [(String, @Sendable (Float, Float) -> Float)] = [
            ("Add", { $0 + $1 }), ("Sub", { $0 - $1 }), ("Mul", { $0 * $1 }), ("Div", { $0 / $1 }),
            ("Pow", { Float(Foundation.pow(Double($0), Double($1))) }),
        ]
        for (op, function) in binary {
            table[op] = { context, inputs in
                let a = try context.input(inputs, 0)
                let b = try context.input(inputs, 1)
                if case .int64 = a.storage, case .int64 = b.storage, op != "Pow" {
                    let integer: @Sendable (Int64, Int64) -> Int64 = switch op {
                    case "Add": { $0 &+ $1 }
                    case "Sub": { $0 &- $1 }
                    case "Mul": { $0 &* $1 }
                    default: { $1 == 0 ? 0 : $0.dividedReportingOverflow(by: $1).partialValue }
                    }
                    let (shape, values) = try broadcast(a.int64s, a.shape, b.int64s, b.shape, op: context.name, integer)
                    return [Tensor(shape: shape, int64s: values)]
                }
                // float64 and int32 stay in their type, as ONNX says (float32 is the fast path below).
                switch (a.storage, b.storage) {
                case (.double(let x), .double(let y)):
                    let real: @Sendable (Double, Double) -> Double = switch op {
                    case "Add": { $0 + $1 }
                    case "Sub": { $0 - $1 }
                    case "Mul": { $0 * $1 }
                    case "Div": { $0 / $1 }
                    default: { Foundation.pow($0, $1) }
                    }
                    let (shape, values) = try broadcast(x, a.shape, y, b.shape, op: context.name, real)
                    return [Tensor(shape: shape, storage: .double(values))]
                case (.int32(let x), .int32(let y)) where op != "Pow":
                    let integer: @Sendable (Int32, Int32) -> Int32 = switch op {
                    case "Add": { $0 &+ $1 }
                    case "Sub": { $0 &- $1 }
                    case "Mul": { $0 &* $1 }
                    default: { $1 == 0 ? 0 : $0.dividedReportingOverflow(by: $1).partialValue }
                    }
                    let (shape, values) = try broadcast(x, a.shape, y, b.shape, op: context.name, integer)
                    return [Tensor(shape: shape, storage: .int32(values))]
                default:
                    break
                }
                if let operation = Vectorized.Operation(op),
                   let result = Vectorized.binary(operation, a, b, threads: context.threads, output: { context.outputFloats(count: $0) }) {
                    return [result]
                }
                let (shape, values) = try broadcast(a.floats, a.shape, b.floats, b.shape, op: context.name, function)
                return [Tensor(shape: shape, floats: values)]
            }
        }
        let unary: [(String, @Sendable (Float) -> Float)] = [
            ("Relu", { max($0, 0) }),
            ("Sigmoid", { 1 / (1 + Foundation.exp(-$0)) }),
            ("Tanh", { Foundation.tanh($0) }),
            ("Exp", { Foundation.exp($0) }),
            ("Log", { Foundation.log($0) }),
            ("Sqrt", { $0.squareRoot() }),
            ("Neg", { -$0 }),
            ("Abs", { abs($0) }),
            ("Erf", { Float(Foundation.erf(Double($0))) }),
            ("Softplus", { Foundation.log(1 + Foundation.exp($0)) }),
        ]
        for (op, function) in unary {
            table[op] = { context, inputs in
                let x = try context.input(inputs, 0)
                return [Tensor(shape: x.shape, floats: map(x, context, function))]
            }
        }
        table["Relu"] = { context, inputs in
            let x = try context.input(inputs, 0)
            return [Vectorized.relu(x, threads: context.threads, output: { context.outputFloats(count: $0) }) ?? Tensor(shape: x.shape, floats: map(x, context) { max($0, 0) })]
        }
        table["LeakyRelu"] = { context, inputs in
            let x = try context.input(inputs, 0)
            let alpha = context.float("alpha", 0.01)
            return [Tensor(shape: x.shape, floats: map(x, context) { $0 >= 0 ? $0 : alpha * $0 })]
        }
        table["Identity"] = { context, inputs in [try context.input(inputs, 0)] }
        table["Dropout"] = { context, inputs in [try context.input(inputs, 0)] }
    }

    /// `function` of every value of `x` (converted to float), into the node's output buffer.
    static func map(_ x: Tensor, _ context: NodeContext, _ function: (Float) -> Float) -> [Float] {
        x.withFloatBuffer { source in
            var out = context.outputFloats(count: source.count)
            out.withUnsafeMutableBufferPointer { target in
                for index in source.indices { target[index] = function(source[index]) }
            }
            return out
        }
    }

    /// Applies `function` pairwise over the broadcast of two shapes.
    static func broadcast<T>(_ a: [T], _ aShape: [Int], _ b: [T], _ bShape: [Int], op: String, _ function: (T, T) -> T) throws -> ([Int], [T]) {
        let shape = try Shape.broadcast(aShape, bShape, op: op)
        if aShape == bShape { return (shape, zip(a, b).map(function)) }
        if b.count == 1, let scalar = b.first { return (shape, a.map { function($0, scalar) }) }
        if a.count == 1, let scalar = a.first { return (shape, b.map { function(scalar, $0) }) }
        let rank = shape.count
        let aPadded = Array(repeating: 1, count: rank - aShape.count) + aShape
        let bPadded = Array(repeating: 1, count: rank - bShape.count) + bShape
        let aStrides = zip(Shape.strides(aPadded), aPadded).map { $1 == 1 ? 0 : $0 }
        let bStrides = zip(Shape.strides(bPadded), bPadded).map { $1 == 1 ? 0 : $0 }
        let total = shape.reduce(1, *)
        var result: [T] = []
        result.reserveCapacity(total)
        var index = Array(repeating: 0, count: rank)
        var aOffset = 0
        var bOffset = 0
        for _ in 0..<total {
            result.append(function(a[aOffset], b[bOffset]))
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                aOffset += aStrides[axis]
                bOffset += bStrides[axis]
                if index[axis] < shape[axis] { break }
                aOffset -= aStrides[axis] * index[axis]
                bOffset -= bStrides[axis] * index[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return (shape, result)
    }
}
