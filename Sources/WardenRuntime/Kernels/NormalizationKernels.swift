import Foundation
import WardenCore
import WardenTensor

/// LayerNormalization, InstanceNormalization and LRN, on float32.
///
/// Means and variances are accumulated in Double so that long rows (a
/// 224×224 plane) do not drift from onnxruntime's results.
enum NormalizationKernels {
    static func register(_ table: inout [String: Kernel]) {
        table["LayerNormalization"] = { context, inputs in try layerNormalization(context, inputs) }
        table["InstanceNormalization"] = { context, inputs in [try instanceNormalization(context, inputs)] }
        table["LRN"] = { context, inputs in [try localResponseNormalization(context, inputs)] }
    }

    /// Normalizes over the axes from `axis` on, then scales and shifts:
    /// Y = (X - mean) / sqrt(var + epsilon) * Scale + B, with Scale and B
    /// broadcast to X. Also returns Mean and InvStdDev, shaped like X with
    /// the normalized axes kept as 1.
    static func layerNormalization(_ context: NodeContext, _ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try context.input(inputs, 0)
        let scale = try context.input(inputs, 1)
        let bias = inputs.count > 2 ? inputs[2] : nil
        try requireFloat(x, context)
        let rank = x.shape.count
        guard rank >= 1 else { throw context.fail("X must have rank ≥ 1, got a scalar") }
        let axis = try Shape.axis(context.int("axis", -1), rank: rank, op: context.name)
        let epsilon = Double(context.float("epsilon", 1e-5))
        let stashType = context.int("stash_type", 1)
        guard stashType == 1 || stashType == 11 else {
            throw context.fail("stash_type \(stashType) is not supported; use 1 (float) or 11 (double)")
        }
        let outer = x.shape[..<axis].reduce(1, *)
        let size = x.shape[axis...].reduce(1, *)
        let values = x.floats
        var normalized = [Float](repeating: 0, count: values.count)
        var means = [Float](repeating: 0, count: outer)
        var inverseDeviations = [Float](repeating: 0, count: outer)
        for row in 0..<outer {
            let (mean, inverse) = moments(values, start: row * size, count: size, epsilon: epsilon)
            means[row] = Float(mean)
            inverseDeviations[row] = Float(inverse)
            for index in (row * size)..<((row + 1) * size) {
                normalized[index] = Float((Double(values[index]) - mean) * inverse)
            }
        }
        var y = try broadcastInto(x.shape, normalized, scale, context, name: "Scale", *)
        if let bias { y = try broadcastInto(x.shape, y, bias, context, name: "B", +) }
        let statisticsShape = Array(x.shape[..<axis]) + Array(repeating: 1, count: rank - axis)
        return [
            result(x.shape, y, like: x),
            Tensor(shape: statisticsShape, floats: means),
            Tensor(shape: statisticsShape, floats: inverseDeviations),
        ]
    }

    /// Normalizes each (n, c) plane of [N, C, D1, …] on its own, then applies
    /// the per-channel scale and B.
    static func instanceNormalization(_ context: NodeContext, _ inputs: [Tensor?]) throws -> Tensor {
        let x = try context.input(inputs, 0)
        let scale = try context.input(inputs, 1).floats
        let bias = try context.input(inputs, 2).floats
        try requireFloat(x, context)
        guard x.shape.count >= 3 else { throw context.fail("input must be [N, C, D1, …] (rank ≥ 3), got \(x.shapeDescription)") }
        let channels = x.shape[1]
        guard scale.count == channels, bias.count == channels else {
            throw context.fail("scale and B must have one value per channel (\(channels)), got \(scale.count) and \(bias.count)")
        }
        let epsilon = Double(context.float("epsilon", 1e-5))
        let inner = x.shape[2...].reduce(1, *)
        var values = x.floats
        for plane in 0..<(x.shape[0] * channels) {
            let channel = plane % channels
            let (mean, inverse) = moments(values, start: plane * inner, count: inner, epsilon: epsilon)
            let gain = Double(scale[channel]) * inverse
            for index in (plane * inner)..<((plane + 1) * inner) {
                values[index] = Float((Double(values[index]) - mean) * gain + Double(bias[channel]))
            }
        }
        return result(x.shape, values, like: x)
    }

    /// Local response normalization across channels:
    /// Y = X / (bias + alpha / size · Σ X²)^beta, the sum over the `size`
    /// neighbouring channels (floor((size-1)/2) before, ceil((size-1)/2) after).
    static func localResponseNormalization(_ context: NodeContext, _ inputs: [Tensor?]) throws -> Tensor {
        let x = try context.input(inputs, 0)
        try requireFloat(x, context)
        guard x.shape.count >= 3 else { throw context.fail("input must be [N, C, D1, …] (rank ≥ 3), got \(x.shapeDescription)") }
        guard context.attribute("size") != nil else { throw context.fail("the attribute 'size' is required") }
        let size = context.int("size", 1)
        guard size > 0 else { throw context.fail("size must be positive, got \(size)") }
        let alpha = Double(context.float("alpha", 1e-4))
        let beta = Double(context.float("beta", 0.75))
        let bias = Double(context.float("bias", 1))
        let (batches, channels, inner) = (x.shape[0], x.shape[1], x.shape[2...].reduce(1, *))
        let before = (size - 1) / 2, after = size - 1 - before
        let values = x.floats
        var out = [Float](repeating: 0, count: values.count)
        for n in 0..<batches {
            for c in 0..<channels {
                let base = (n * channels + c) * inner
                for position in 0..<inner {
                    var sum = 0.0
                    for neighbour in max(0, c - before)...min(channels - 1, c + after) {
                        let value = Double(values[(n * channels + neighbour) * inner + position])
                        sum += value * value
                    }
                    out[base + position] = Float(Double(values[base + position]) / Foundation.pow(bias + alpha / Double(size) * sum, beta))
                }
            }
        }
        return result(x.shape, out, like: x)
    }

    /// Mean and 1 / sqrt(variance + epsilon) of `count` values from `start`.
    static func moments(_ values: [Float], start: Int, count: Int, epsilon: Double) -> (mean: Double, inverse: Double) {
        guard count > 0 else { return (0, 1 / epsilon.squareRoot()) }
        var sum = 0.0
        for index in start..<(start + count) { sum += Double(values[index]) }
        let mean = sum / Double(count)
        var squares = 0.0
        for index in start..<(start + count) {
            let deviation = Double(values[index]) - mean
            squares += deviation * deviation
        }
        return (mean, 1 / (squares / Double(count) + epsilon).squareRoot())
    }

    /// `values` (shaped `shape`) combined with `operand` broadcast to `shape`;
    /// the operand may not grow the result.
    static func broadcastInto(_ shape: [Int], _ values: [Float], _ operand: Tensor, _ context: NodeContext, name: String, _ function: (Float, Float) -> Float) throws -> [Float] {
        guard operand.shape.count <= shape.count, (try? Shape.broadcast(shape, operand.shape, op: context.name)) == shape else {
            throw context.fail("\(name) \(operand.shapeDescription) does not broadcast to X \(Tensor(shape: shape, floats: []).shapeDescription)")
        }
        return try ElementwiseKernels.broadcast(values, shape, operand.floats, operand.shape, op: context.name, function).1
    }

    static func requireFloat(_ x: Tensor, _ context: NodeContext) throws {
        switch x.storage {
        case .float, .double: return
        default: throw context.fail("X must be a floating-point tensor, got \(x.dataType)")
        }
    }

    /// Float results in the element type of `x` (double inputs give double outputs).
    static func result(_ shape: [Int], _ values: [Float], like x: Tensor) -> Tensor {
        if case .double = x.storage { return Tensor(shape: shape, storage: .double(values.map(Double.init))) }
        return Tensor(shape: shape, floats: values)
    }
}
