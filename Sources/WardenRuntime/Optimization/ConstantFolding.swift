import WardenCore
import WardenONNX
import WardenTensor

/// Evaluates, once at load time, every node whose inputs are all constants
/// (initializers, `Constant` nodes, or the outputs of nodes folded before it),
/// and keeps its outputs as initializers. Exporters leave many such subgraphs:
/// `Shape → Gather → Unsqueeze → Concat → Reshape` chains over weights, `Constant`
/// nodes, casts and transposes of weights. Folding them takes them off every
/// inference, and lets fusion and weight packing see the values they produce.
enum ConstantFolding {
    /// Ops whose result may differ from call to call, which folding must leave alone.
    static let nondeterministic: Set<String> = ["RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli", "Dropout"]
    /// Outputs larger than this (in elements) are left to run time: folding trades memory for time.
    static let maximumElements = 16 << 20

    /// - Parameters:
    ///   - nodes: the graph's nodes in execution order.
    ///   - constants: the initializers; gains the folded values.
    ///   - keep: values that must stay computed at run time (the graph's inputs).
    /// - Returns: the nodes left to run, in order, and how many were folded.
    static func fold(
        _ nodes: [Onnx_NodeProto], constants: inout [String: Tensor], keep: Set<String>, opsets: [String: Int64], resolver: ExternalDataResolver
    ) -> (nodes: [Onnx_NodeProto], folded: Int) {
        var remaining: [Onnx_NodeProto] = []
        var folded = 0
        for node in nodes {
            let inputs = node.input.filter { !$0.isEmpty }
            let foldable = !nondeterministic.contains(node.opType)
                && inputs.allSatisfy { constants[$0] != nil && !keep.contains($0) }
                && node.output.allSatisfy { !keep.contains($0) }
                && !node.attribute.contains { $0.type == .graph || $0.type == .graphs }
            guard foldable, let outputs = evaluate(node, constants: constants, opsets: opsets, resolver: resolver),
                outputs.allSatisfy({ $0.elementCount <= maximumElements })
            else {
                remaining.append(node)
                continue
            }
            for (name, tensor) in zip(node.output, outputs) where !name.isEmpty {
                constants[name] = tensor
            }
            folded += 1
        }
        return (remaining, folded)
    }

    /// The node's outputs, or nil when its kernel refuses (the error then comes at run time,
    /// where it names the request that met it).
    private static func evaluate(_ node: Onnx_NodeProto, constants: [String: Tensor], opsets: [String: Int64], resolver: ExternalDataResolver) -> [Tensor]? {
        let domain = node.domain.isEmpty ? "ai.onnx" : node.domain
        let opset = opsets[domain] ?? 1
        guard let kernel = Kernels.all[Kernels.key(node)] else { return nil }
        do {
            var context = NodeContext(node: node, opset: opset, resolver: resolver)
            if let preparer = Kernels.preparers[Kernels.key(node)] { context.prepared = try preparer(context) }
            let results = try kernel(context, node.input.map { $0.isEmpty ? nil : constants[$0] })
            return results.count >= node.output.filter({ !$0.isEmpty }).count ? results : nil
        } catch {
            return nil
        }
    }
}
