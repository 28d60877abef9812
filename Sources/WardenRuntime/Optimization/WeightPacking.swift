import Foundation
import WardenCore
import WardenTensor

/// Packs constant GEMM operands once, at load time: the B of MatMul and Gemm
/// and the weights of Conv, in the panel layout of the CPU's microkernel, so
/// `run` goes straight to the multiply. Carries the fused bias and Relu.
enum WeightPacking {
    /// The prepared value for the node's kernel, or nil when it needs none.
    /// `alternatives: false` keeps every Conv on plain im2col + GEMM, without the Winograd or
    /// transposed forms for some shapes (`Executor.Options.fusion` off).
    static func plan(_ fused: GraphFusion.Fused, initializers: [String: Tensor], alternatives: Bool = true) -> (any Sendable)? {
        let node = fused.node
        guard node.domain.isEmpty || node.domain == "ai.onnx" else { return nil }
        func constant(_ index: Int) -> Tensor? {
            guard index < node.input.count, let tensor = initializers[node.input[index]], tensor.isFloat else { return nil }
            return tensor
        }
        let kernel = GEMM.Microkernel.best
        switch node.opType {
        case "MatMul", "Gemm":
            var plan = LinearAlgebraKernels.Plan(kernel: kernel, columnBias: fused.columnBias, relu: fused.relu)
            if let b = constant(1), b.shape.count == 2 {
                let transposed = node.opType == "Gemm" && (node.attribute.first { $0.name == "transB" }?.i ?? 0) != 0
                let (k, n) = transposed ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
                if k > 0, n > 0 {
                    plan.packedB = b.withFloatBuffer { buffer in
                        buffer.baseAddress.map { GEMM.packB($0, rowStride: transposed ? 1 : n, columnStride: transposed ? k : 1, k: k, n: n, kernel: kernel) }
                    }
                    (plan.k, plan.n) = (k, n)
                }
            }
            return plan.packedB == nil && !plan.relu && plan.columnBias == nil ? nil : plan
        case "Conv":
            var plan = ConvolutionKernels.ConvPlan(kernel: kernel, relu: fused.relu)
            let group = Int(node.attribute.first { $0.name == "group" }?.i ?? 1)
            if let w = constant(1), w.shape.count == 3 || w.shape.count == 4, group > 0, let m = w.shape.first, m > 0, m % group == 0 {
                let mg = m / group
                let depth = w.elementCount / m
                plan.packedWeights = w.withFloatBuffer { buffer in
                    guard let base = buffer.baseAddress, depth > 0 else { return [] }
                    return (0..<group).map { GEMM.packA(base + $0 * mg * depth, rowStride: depth, columnStride: 1, m: mg, k: depth, kernel: kernel) }
                }
                plan.weightShape = plan.packedWeights.isEmpty ? [] : w.shape
                if alternatives, group == 1, !plan.packedWeights.isEmpty {
                    plan.transposed = ConvolutionKernels.TransposedWeights(weights: w, filters: m, kernel: kernel)
                }
                func attribute(_ name: String) -> [Int64]? { node.attribute.first { $0.name == name }?.ints }
                if alternatives, w.shape.count == 4, w.shape[2] == 3, w.shape[3] == 3, group == 1,
                   (attribute("strides") ?? [1, 1]) == [1, 1], (attribute("dilations") ?? [1, 1]) == [1, 1] {
                    plan.winograd = ConvolutionKernels.WinogradWeights(weights: w, filters: m, channels: w.shape[1], kernel: kernel)
                }
            }
            return plan.packedWeights.isEmpty && !plan.relu ? nil : plan
        default:
            return nil
        }
    }
}
