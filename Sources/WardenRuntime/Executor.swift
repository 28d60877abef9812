import Foundation
import Synchronization
import WardenCore
import WardenONNX
import WardenTensor

/// Runs an ONNX model in Swift.
///
/// Loading checks that every op is supported (listing the ones that are not
/// in one error), reads the initializers once, fixes the node order, folds
/// constant subgraphs into initializers (see `ConstantFolding`), fuses
/// Conv + BatchNormalization + Relu and MatMul + bias + Relu (see
/// `GraphFusion`), infers every value's shape where it can be known and refuses
/// a model whose shapes contradict each other (see `ShapeInference`), and packs
/// constant weights for the GEMM.
/// `run` is safe to call from many threads at once: it shares only immutable
/// state and keeps each call's intermediate tensors to itself. Each call may
/// use up to `options.threads` threads inside its ops.
///
/// ```swift
/// let executor = try Executor(model: ONNXModel(contentsOf: "mlp.onnx"), options: .init(threads: 2))
/// let outputs = try executor.run(["input": Tensor(shape: [1, 4], floats: [5.1, 3.5, 1.4, 0.2])])
/// ```
public final class Executor: Sendable {
    /// How the executor runs a model.
    public struct Options: Sendable, Equatable {
        /// Threads one `run` call may use inside an op (GEMM tiles, Conv blocks,
        /// large element-wise ops). 1 runs everything on the calling thread.
        public var threads: Int
        /// Fold constant subgraphs and fuse ops at load time (Conv + BatchNormalization + Relu, MatMul + Add + Relu, Gemm + Relu),
        /// and let Conv pick Winograd or a transposed product for the shapes where they are faster.
        /// Off, every Conv goes through im2col and the packed weights as they are.
        public var fusion: Bool

        /// - Parameter threads: defaults to the number of active cores; values below 1 count as 1.
        public init(threads: Int? = nil, fusion: Bool = true) {
            self.threads = max(1, threads ?? Parallel.activeCores)
            self.fusion = fusion
        }
    }

    /// One node as it runs: the (possibly fused) node, its kernel and what was prepared for it.
    struct Step: Sendable {
        let node: Onnx_NodeProto
        let kernel: Kernel
        let opset: Int64
        let prepared: (any Sendable)?
    }

    public let signature: IOSignature
    public let options: Options
    /// The graph's outputs, in order. The graph itself is not kept: its initializers' bytes would stay on the heap.
    let outputNames: [String]
    let steps: [Step]
    let initializers: [String: Tensor]
    let resolver: ExternalDataResolver
    /// Which buffer each intermediate value is written into (see `MemoryPlan`).
    let memoryPlan: MemoryPlan
    /// Arenas of finished calls, for the next ones: a call takes one (or makes one) and gives it back.
    private let arenas = Mutex<[Arena]>([])
    /// Arenas kept between calls, and the most bytes one may hold to be kept.
    static let mostArenasKept = 4
    static let largestKeptArena = 1 << 30
    /// Nodes evaluated once at load time because all their inputs are constants.
    let foldedNodes: Int
    /// The shape of every value whose rank is known at load time (see `ShapeInference`),
    /// with symbolic dims (the batch) carried over from the graph inputs.
    let inferredShapes: [String: [ShapeInference.Dim]]

    /// Where the model's constant values live once loaded.
    public struct WeightMemory: Sendable, Equatable {
        /// Bytes of initializers (as loaded, folded or fused) held on the heap. Weights packed
        /// for the GEMM are copies on top of these.
        public var heapBytes: Int
        /// Bytes of float32 external data read in place from the mapped data file, never copied:
        /// the kernel reads the file's pages on demand and may drop them again under memory pressure.
        public var mappedBytes: Int
        /// The initializers left in their mapped file, by name.
        public var mappedNames: [String]
    }

    /// Where the model's constant values live once loaded.
    public var weightMemory: WeightMemory {
        var memory = WeightMemory(heapBytes: 0, mappedBytes: 0, mappedNames: [])
        for (name, tensor) in initializers {
            let bytes = TensorBytes.byteCount(tensor.storage)
            if case .mappedFloat = tensor.storage {
                memory.mappedBytes += bytes
                memory.mappedNames.append(name)
            } else {
                memory.heapBytes += bytes
            }
        }
        memory.mappedNames.sort()
        return memory
    }

    /// How the intermediate values are held (see `MemoryPlan`).
    public struct IntermediateMemory: Sendable, Equatable {
        /// Values given a planned buffer, and the buffers they share.
        public var values: Int
        public var buffers: Int
        /// Bytes the buffers of the largest arena kept for the next call hold (0 before the first call).
        public var heldBytes: Int
    }

    /// The arenas kept for the next calls.
    var keptArenas: [Arena] { arenas.withLock { $0 } }

    public var intermediateMemory: IntermediateMemory {
        IntermediateMemory(values: memoryPlan.values, buffers: memoryPlan.slotCount, heldBytes: arenas.withLock { $0.map(\.bytes).max() ?? 0 })
    }

    /// The shape inferred at load time for a value (graph output or intermediate), or nil when its rank is not known.
    public func inferredShape(of name: String) -> [TensorDimension]? { inferredShapes[name] }

    /// An executor with the default options: as many threads as active cores, fusion on.
    /// - Throws: `.unsupportedOperator` naming every unsupported (domain, op, opset); model errors.
    public convenience init(model: ONNXModel) throws {
        try self.init(model: model, options: Options())
    }

    /// - Throws: `.unsupportedOperator` naming every unsupported (domain, op, opset); `.invalidGraph` naming
    ///   the node and the two shapes when the model's shapes contradict each other; other model errors.
    public init(model: ONNXModel, options: Options) throws {
        let graph = model.graph
        outputNames = graph.output.map(\.name)
        self.options = options
        let order = try GraphOrder.order(graph)
        resolver = ExternalDataResolver(directory: model.directory)
        var opsets: [String: Int64] = [:]
        for opset in model.proto.opsetImport {
            let domain = opset.domain.isEmpty ? "ai.onnx" : opset.domain
            opsets[domain] = max(opsets[domain] ?? 0, opset.version)
        }

        var unsupported = Set<String>()
        for node in graph.node where Kernels.all[Kernels.key(node)] == nil {
            let domain = node.domain.isEmpty ? "ai.onnx" : node.domain
            unsupported.insert("\(domain) \(node.opType) (opset \(opsets[domain] ?? 0))")
        }
        if !unsupported.isEmpty {
            throw WardenError(.unsupportedOperator, "the model uses ops Warden cannot run yet: \(unsupported.sorted().joined(separator: ", ")); see docs/onnx-conformance.md for what is supported")
        }

        var tensors: [String: Tensor] = [:]
        let inPlace = Self.weightsReadInPlace(graph)
        for initializer in graph.initializer {
            tensors[initializer.name] = try TensorDecoding.tensor(initializer, resolver: resolver, inPlace: inPlace.contains(initializer.name))
        }
        signature = try ONNXInspector.signature(graph, initializers: Set(tensors.keys), strict: true)

        let outputs = Set(graph.output.map(\.name))
        var ordered = order.map { graph.node[$0] }
        if options.fusion {
            // Every graph input stays computed, even one with a default initializer a caller may override.
            (ordered, foldedNodes) = ConstantFolding.fold(ordered, constants: &tensors, keep: Set(graph.input.map(\.name)), opsets: opsets, resolver: resolver)
        } else {
            foldedNodes = 0
        }
        // Shapes are inferred before fusion, so a contradiction names the node as the model has it;
        // fusion keeps the name of every value it does not remove, so the shapes cover all values that run.
        let declared = Dictionary(signature.inputs.map { ($0.name, $0.shape) }, uniquingKeysWith: { first, _ in first })
        let shapes = try ShapeInference.infer(ordered, inputs: declared, constants: tensors, opsets: opsets, resolver: resolver)
        try ShapeInference.checkOutputs(signature.outputs, inferred: shapes)
        inferredShapes = shapes
        var nodes = ordered.map { GraphFusion.Fused(node: $0) }
        if options.fusion {
            nodes = GraphFusion.fuse(nodes, initializers: &tensors, outputs: outputs, protected: Set(signature.inputs.map(\.name)))
        }
        // Weights that folding or fusion replaced (a Conv's before its BatchNormalization was folded in) are dropped.
        var read = outputs
        for fused in nodes { read.formUnion(fused.node.input) }
        initializers = tensors.filter { read.contains($0.key) }

        var steps: [Step] = []
        for fused in nodes {
            let node = fused.node
            let domain = node.domain.isEmpty ? "ai.onnx" : node.domain
            let opset = opsets[domain] ?? 1
            guard let kernel = Kernels.all[Kernels.key(node)] else {
                throw WardenError(.unsupportedOperator, "the model uses ops Warden cannot run yet: \(domain) \(node.opType) (opset \(opset))")
            }
            var prepared: (any Sendable)? = nil
            if let preparer = Kernels.preparers[Kernels.key(node)] {
                prepared = try preparer(NodeContext(node: node, opset: opset, resolver: resolver))
            } else {
                prepared = WeightPacking.plan(fused, initializers: tensors, alternatives: options.fusion)
            }
            steps.append(Step(node: node, kernel: kernel, opset: opset, prepared: prepared))
        }
        self.steps = steps
        memoryPlan = MemoryPlan(nodes.map(\.node), constants: Set(tensors.keys), outputs: outputs, shapes: shapes)
        // What is still mapped is held by the tensors that read it; a file whose weights were all replaced is unmapped.
        resolver.forgetMappings()
    }

    /// External float32 initializers that every node reading them reads in place, so they can stay
    /// in their mapped file: the weights of MatMul, Gemm and Conv (packed at load, or read through
    /// a pointer) and the table of a Gather (which copies only the rows it picks). Graph outputs are copied.
    static func weightsReadInPlace(_ graph: Onnx_GraphProto) -> Set<String> {
        var candidates = Set(graph.initializer.filter { $0.dataLocation == .external && $0.dataType == Int32(Onnx_TensorProto.DataType.float.rawValue) }.map(\.name))
        candidates.subtract(graph.output.map(\.name))
        var read = Set<String>()
        for node in graph.node {
            let inPlaceInput: Int? = switch (node.domain.isEmpty || node.domain == "ai.onnx") ? node.opType : "" {
            case "MatMul", "Gemm", "Conv": 1
            case "Gather": 0
            default: nil
            }
            for (index, name) in node.input.enumerated() where candidates.contains(name) {
                if index == inPlaceInput { read.insert(name) } else { candidates.remove(name) }
            }
        }
        return candidates.intersection(read)
    }

    /// Runs the model.
    /// - Parameter inputs: one tensor per graph input, by name.
    /// - Returns: every graph output, by name.
    /// - Throws: `.invalidArgument` for a missing, unknown or mis-typed input, or a kernel's error naming its node.
    public func run(_ inputs: [String: Tensor]) throws -> [String: Tensor] {
        try run(inputs, profile: nil)
    }

    /// Time spent per node, summed over the runs given it, like ONNX Runtime's profiling.
    /// Not thread-safe: one profile per thread.
    public final class Profile {
        /// Per node in execution order: its op, its name (or its first output's) and the nanoseconds it took in all runs.
        public private(set) var nodes: [(op: String, name: String, nanoseconds: UInt64)] = []
        public private(set) var runs = 0
        /// Bytes of the planned intermediate values of one run, were each in its own buffer.
        public private(set) var intermediateBytes = 0

        public init() {}

        func recordOutputs(_ tensors: [Tensor], slots: [Int]) {
            guard runs == 1 else { return }
            for (tensor, slot) in zip(tensors, slots) where slot >= 0 { intermediateBytes += TensorBytes.byteCount(tensor.storage) }
        }

        func record(_ step: Int, _ node: Onnx_NodeProto, _ nanoseconds: UInt64) {
            if step == nodes.count { nodes.append((node.opType, node.name.isEmpty ? node.output.first ?? "" : node.name, 0)) }
            if step == 0 { runs += 1 }
            nodes[step].nanoseconds += nanoseconds
        }

        /// Total time per op type, largest first.
        public var byOp: [(op: String, nodes: Int, nanoseconds: UInt64)] {
            var totals: [String: (Int, UInt64)] = [:]
            for node in nodes {
                let entry = totals[node.op] ?? (0, 0)
                totals[node.op] = (entry.0 + 1, entry.1 + node.nanoseconds)
            }
            return totals.map { ($0.key, $0.value.0, $0.value.1) }.sorted { $0.nanoseconds > $1.nanoseconds }
        }
    }

    /// Runs the model, adding each node's time to `profile`.
    public func run(_ inputs: [String: Tensor], profile: Profile?) throws -> [String: Tensor] {
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
        let arena = arenas.withLock { $0.popLast() } ?? Arena(slots: memoryPlan.slotCount)
        defer {
            if arena.bytes <= Self.largestKeptArena {
                arenas.withLock { if $0.count < Self.mostArenasKept { $0.append(arena) } }
            }
        }
        for (index, step) in steps.enumerated() {
            let node = step.node
            let context = NodeContext(
                node: node, opset: step.opset, resolver: resolver, prepared: step.prepared, threads: options.threads,
                arena: arena, outputSlots: memoryPlan.outputSlots[index]
            )
            let start = profile == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            // The arguments go out of scope with the call, so a buffer given back below is held by its slot alone.
            let results = try step.kernel(context, node.input.map { $0.isEmpty ? nil : values[$0] })
            profile?.record(index, node, DispatchTime.now().uptimeNanoseconds - start)
            profile?.recordOutputs(results, slots: memoryPlan.outputSlots[index])
            for (name, tensor) in zip(node.output, results) where !name.isEmpty {
                values[name] = tensor
            }
            for (name, slot) in memoryPlan.returns[index] {
                if case .float(let buffer)? = values.removeValue(forKey: name)?.storage { arena.give(slot, buffer) }
            }
            for name in memoryPlan.releases[index] { values[name] = nil }
        }
        var outputs: [String: Tensor] = [:]
        for name in outputNames {
            guard let tensor = values[name] else {
                throw WardenError(.invalidGraph, "graph output '\(name)' was not produced")
            }
            outputs[name] = tensor
        }
        return outputs
    }

    static func check(_ tensor: Tensor, against spec: TensorSpec) throws {
        guard tensor.fits(spec.dataType) else {
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
