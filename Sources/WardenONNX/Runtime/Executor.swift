import Foundation
import WardenCore

/// Runs an ONNX model in Swift.
///
/// Loading checks that every op is supported (listing the ones that are not
/// in one error), reads the initializers once and fixes the node order.
/// `run` is safe to call from many threads at once: it shares only immutable
/// state and keeps each call's intermediate tensors to itself.
///
/// ```swift
/// let executor = try Executor(model: ONNXModel(contentsOf: "mlp.onnx"))
/// let outputs = try executor.run(["input": Tensor(shape: [1, 4], floats: [5.1, 3.5, 1.4, 0.2])])
/// ```
public final class Executor: Sendable {
    public let signature: IOSignature
    let graph: Onnx_GraphProto
    let order: [Int]
    let initializers: [String: Tensor]
    let opsets: [String: Int64]
    let resolver: ExternalDataResolver
    /// For each node in `order`, the values no later node reads: freed as soon as they are used.
    let releaseAfter: [[String]]
    /// Per node index, what its op's preparer built at load time.
    let prepared: [Int: any Sendable]

    /// - Throws: `.unsupportedOperator` naming every unsupported (domain, op, opset); model errors.
    public init(model: ONNXModel) throws {
        let graph = model.graph
        self.graph = graph
        order = try GraphOrder.order(graph)
        resolver = ExternalDataResolver(directory: model.directory)
        var opsets: [String: Int64] = [:]
        for opset in model.proto.opsetImport { opsets[opset.domain.isEmpty ? "ai.onnx" : opset.domain] = max(opsets[opset.domain.isEmpty ? "ai.onnx" : opset.domain] ?? 0, opset.version) }
        self.opsets = opsets

        var unsupported = Set<String>()
        for node in graph.node where Kernels.all[Kernels.key(node)] == nil {
            let domain = node.domain.isEmpty ? "ai.onnx" : node.domain
            unsupported.insert("\(domain) \(node.opType) (opset \(opsets[domain] ?? 0))")
        }
        if !unsupported.isEmpty {
            throw WardenError(.unsupportedOperator, "the model uses ops Warden cannot run yet: \(unsupported.sorted().joined(separator: ", ")); see docs/onnx-conformance.md for what is supported")
        }

        var prepared: [Int: any Sendable] = [:]
        for (index, node) in graph.node.enumerated() {
            guard let preparer = Kernels.preparers[Kernels.key(node)] else { continue }
            let domain = node.domain.isEmpty ? "ai.onnx" : node.domain
            prepared[index] = try preparer(NodeContext(node: node, opset: opsets[domain] ?? 1, resolver: resolver))
        }
        self.prepared = prepared

        var tensors: [String: Tensor] = [:]
        for initializer in graph.initializer {
            tensors[initializer.name] = try TensorDecoding.tensor(initializer, resolver: resolver)
        }
        initializers = tensors

        signature = try ONNXInspector.signature(graph, initializers: Set(tensors.keys), strict: true)

        // Last use of every intermediate value, to free it early.
        let outputs = Set(graph.output.map(\.name))
        var lastUse: [String: Int] = [:]
        for (position, index) in order.enumerated() {
            for name in graph.node[index].input where !name.isEmpty { lastUse[name] = position }
        }
        var release = Array(repeating: [String](), count: order.count)
        for (name, position) in lastUse where !outputs.contains(name) && tensors[name] == nil {
            release[position].append(name)
        }
        releaseAfter = release
    }

    /// Runs the model.
    /// - Parameter inputs: one tensor per graph input, by name.
    /// - Returns: every graph output, by name.
    /// - Throws: `.invalidArgument` for a missing, unknown or mis-typed input, or a kernel's error naming its node.
    public func run(_ inputs: [String: Tensor]) throws -> [String: Tensor] {
        var values = initializers
        let expected = Dictionary(signature.inputs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for name in inputs.keys where expected[name] == nil {
            throw WardenError(.invalidArgument, "the model has no input '\(name)'; its inputs are \(signature.inputs.map { "'\($0.name)'" }.joined(separator: ", "))")
        }
        for spec in signature.inputs {
            guard let tensor = inputs[spec.name] else {
                throw WardenError(.invalidArgument, "input '\(spec.name)' (\(spec.dataType) \(spec.shapeDescription)) is missing")
            }
            try Self.check(tensor, against: spec)
            values[spec.name] = tensor
        }
        for (position, index) in order.enumerated() {
            let node = graph.node[index]
            let domain = node.domain.isEmpty ? "ai.onnx" : node.domain
            let context = NodeContext(node: node, opset: opsets[domain] ?? 1, resolver: resolver, prepared: prepared[index])
            let arguments = node.input.map { $0.isEmpty ? nil : values[$0] }
            let kernel = Kernels.all[Kernels.key(node)]!
            let results = try kernel(context, arguments)
            for (name, tensor) in zip(node.output, results) where !name.isEmpty {
                values[name] = tensor
            }
            for name in releaseAfter[position] { values[name] = nil }
        }
        var outputs: [String: Tensor] = [:]
        for output in graph.output {
            guard let tensor = values[output.name] else {
                throw WardenError(.invalidGraph, "graph output '\(output.name)' was not produced")
            }
            outputs[output.name] = tensor
        }
        return outputs
    }

    static func check(_ tensor: Tensor, against spec: TensorSpec) throws {
        guard tensor.dataType == spec.dataType else {
            throw WardenError(.invalidArgument, "input '\(spec.name)' must be \(spec.dataType), got \(tensor.dataType)")
        }
        guard let shape = spec.shape else { return }
        guard shape.count == tensor.shape.count else {
            throw WardenError(.invalidArgument, "input '\(spec.name)' must have rank \(shape.count) (\(spec.shapeDescription)), got \(tensor.shapeDescription)")
        }
        for (axis, (dim, actual)) in zip(shape, tensor.shape).enumerated() {
            if case .fixed(let size) = dim, Int(size) != actual {
                throw WardenError(.invalidArgument, "input '\(spec.name)' dim \(axis) must be \(size) (\(spec.shapeDescription)), got \(tensor.shapeDescription)")
            }
        }
    }
}
