import Foundation
import WardenCore
import WardenONNX
import WardenTensor

/// Load-time rewrites that merge a node into the one before it:
///
/// - Conv → BatchNormalization (inference): the normalization is folded into
///   the Conv's weights and bias, `W' = W·s`, `B' = (B − mean)·s + bias` with
///   `s = scale / √(var + ε)` per output channel;
/// - Conv → Relu, Gemm → Relu: the Relu runs in the GEMM's epilogue;
/// - MatMul → Add of a `[n]` initializer (→ Relu): the bias and Relu run in the epilogue.
///
/// A value is fused away only when the one node that reads it is the next op
/// of the pattern and it is not a graph output, so nothing observable changes.
/// Constant weights are required (the folded ones become new initializers).
enum GraphFusion {
    /// A node after fusion, with what it absorbed from the nodes it replaced.
    struct Fused: Sendable {
        var node: Onnx_NodeProto
        var relu = false
        /// A bias per output column, from a fused Add (MatMul only).
        var columnBias: [Float]? = nil
    }

    /// - Parameters:
    ///   - nodes: the graph's nodes in execution order.
    ///   - initializers: the constant tensors; folded weights are added here.
    ///   - outputs: the graph's outputs, which must survive.
    ///   - protected: graph inputs, which are never treated as constants.
    static func fuse(_ nodes: [Fused], initializers: inout [String: Tensor], outputs: Set<String>, protected: Set<String>) -> [Fused] {
        var readers: [String: [Int]] = [:]
        for (position, fused) in nodes.enumerated() {
            for name in fused.node.input where !name.isEmpty { readers[name, default: []].append(position) }
        }
        func constant(_ name: String) -> Tensor? {
            guard !name.isEmpty, !protected.contains(name), let tensor = initializers[name], tensor.isFloat else { return nil }
            return tensor
        }
        /// The only node reading `value`, when there is exactly one and `value` is not a graph output.
        func soleReader(_ value: String, _ removed: Set<Int>) -> Int? {
            guard !outputs.contains(value), let positions = readers[value], positions.count == 1, !removed.contains(positions[0]) else { return nil }
            return positions[0]
        }
        func isDefaultDomain(_ node: Onnx_NodeProto) -> Bool { node.domain.isEmpty || node.domain == "ai.onnx" }

        var result = nodes
        var removed = Set<Int>()
        for position in result.indices where !removed.contains(position) {
            var fused = result[position]
            guard isDefaultDomain(fused.node), fused.node.output.count == 1 else { continue }
            switch fused.node.opType {
            case "Conv":
                // Only the planar Conv (weights [M, C/g, kH, kW] or [M, C/g, L]) takes a fused Relu.
                guard fused.node.input.count >= 2, let weights = constant(fused.node.input[1]), weights.shape.count == 3 || weights.shape.count == 4 else { continue }
                if fused.node.input.count > 2, !fused.node.input[2].isEmpty, constant(fused.node.input[2]) == nil { continue }
                if let next = soleReader(fused.node.output[0], removed), let (folded, added) = foldBatchNorm(fused.node, weights, result[next].node, constant) {
                    fused.node = folded
                    initializers.merge(added) { _, new in new }
                    removed.insert(next)
                }
                if let next = soleReader(fused.node.output[0], removed), isRelu(result[next].node, input: fused.node.output[0]) {
                    fused.node.output = result[next].node.output
                    fused.relu = true
                    removed.insert(next)
                }
            case "Gemm":
                if let next = soleReader(fused.node.output[0], removed), isRelu(result[next].node, input: fused.node.output[0]) {
                    fused.node.output = result[next].node.output
                    fused.relu = true
                    removed.insert(next)
                }
            case "MatMul":
                guard fused.node.input.count == 2, let weights = constant(fused.node.input[1]), weights.shape.count == 2 else { continue }
                let n = weights.shape[1]
                if let next = soleReader(fused.node.output[0], removed), result[next].node.opType == "Add", isDefaultDomain(result[next].node),
                   result[next].node.input.count == 2, result[next].node.output.count == 1 {
                    let add = result[next].node
                    let other = add.input[0] == fused.node.output[0] ? add.input[1] : add.input[0]
                    if other != fused.node.output[0], let bias = constant(other), bias.elementCount == n, bias.shape.last == n, bias.shape.count <= 2 {
                        fused.columnBias = bias.floats
                        fused.node.output = add.output
                        removed.insert(next)
                    }
                }
                if let next = soleReader(fused.node.output[0], removed), isRelu(result[next].node, input: fused.node.output[0]) {
                    fused.node.output = result[next].node.output
                    fused.relu = true
                    removed.insert(next)
                }
            default:
                continue
            }
            result[position] = fused
        }
        return result.indices.filter { !removed.contains($0) }.map { result[$0] }
    }

    static func isRelu(_ node: Onnx_NodeProto, input: String) -> Bool {
        (node.domain.isEmpty || node.domain == "ai.onnx") && node.opType == "Relu" && node.input.first == input && node.output.count == 1
    }

    /// The Conv node with a BatchNormalization folded in, and the new weight and bias initializers it reads; nil when `next` cannot be folded.
    static func foldBatchNorm(_ conv: Onnx_NodeProto, _ weights: Tensor, _ next: Onnx_NodeProto, _ constant: (String) -> Tensor?) -> (Onnx_NodeProto, [String: Tensor])? {
        guard next.opType == "BatchNormalization", next.domain.isEmpty || next.domain == "ai.onnx", next.input.count == 5, next.input[0] == conv.output[0] else { return nil }
        // Training mode, or the optional running-statistics outputs, need the real op.
        guard next.output.dropFirst().allSatisfy(\.isEmpty), (next.attribute.first { $0.name == "training_mode" }?.i ?? 0) == 0 else { return nil }
        let channels = weights.shape[0]
        guard channels > 0, let scale = constant(next.input[1]), let shift = constant(next.input[2]), let mean = constant(next.input[3]), let variance = constant(next.input[4]),
              [scale, shift, mean, variance].allSatisfy({ $0.elementCount == channels }) else { return nil }
        let epsilon = next.attribute.first { $0.name == "epsilon" }?.f ?? 1e-5
        let oldBias: [Float]
        if conv.input.count > 2, !conv.input[2].isEmpty {
            guard let bias = constant(conv.input[2]), bias.elementCount == channels else { return nil }
            oldBias = bias.floats
        } else {
            oldBias = [Float](repeating: 0, count: channels)
        }
        let (s, b, mu, v) = (scale.floats, shift.floats, mean.floats, variance.floats)
        let factors = (0..<channels).map { s[$0] / (v[$0] + epsilon).squareRoot() }
        var folded = weights.floats
        let perChannel = folded.count / channels
        for channel in 0..<channels {
            for index in (channel * perChannel)..<((channel + 1) * perChannel) { folded[index] *= factors[channel] }
        }
        let bias = (0..<channels).map { (oldBias[$0] - mu[$0]) * factors[$0] + b[$0] }
        let output = next.output[0]
        let weightName = "\(conv.input[1])::warden.folded(\(output))"
        let biasName = "\(weightName).bias"
        var node = conv
        node.input = [conv.input[0], weightName, biasName]
        node.output = [output]
        return (node, [weightName: Tensor(shape: weights.shape, floats: folded), biasName: Tensor(shape: [channels], floats: bias)])
    }
}
