import Foundation
import WardenCore

/// Inspects ONNX models: validates the graph, reads the IO signature, counts
/// ops and parameters, and computes the topology fingerprint and weights digest.
///
/// Each weight byte is read once (for the weights digest); external data is
/// streamed in 1 MiB chunks, so memory stays small whatever the model's size.
///
/// ```swift
/// let inspection = try ONNXInspector().inspect(ONNXModel(contentsOf: "resnet/model.onnx"))
/// print(inspection.topologyFingerprint)
/// ```
public struct ONNXInspector: Sendable {
    public init() {}

    /// - Throws: `.invalidGraph` for undefined tensors or cycles, `.invalidModel` for corrupt
    ///   initializers, `.externalDataRefused` for external data outside the model or out of bounds.
    public func inspect(_ model: ONNXModel) throws -> ModelInspection {
        let graph = model.graph
        let resolver = ExternalDataResolver(directory: model.directory)
        let initializerNames = Set(graph.initializer.map(\.name))

        let signature = try Self.signature(graph, initializers: initializerNames, strict: true)

        var opCounts: [String: Int] = [:]
        Self.countOps(graph) { opCounts[$0, default: 0] += 1 }

        var topology = TopologyEncoder(resolver: resolver)
        try topology.encodeModel(model.proto)
        let canonicalInitializers = topology.initializerOrder(of: graph)

        let parameters = try canonicalInitializers.map { tensor -> ModelInspection.Parameter in
            guard let type = TensorDataType(onnx: tensor.dataType) else {
                throw WardenError(.invalidModel, "initializer '\(tensor.name)' has element type \(tensor.dataType), which ONNX does not define")
            }
            return .init(name: tensor.name, dataType: type, shape: tensor.dims, kind: .initializer)
        }
        let sparse = topology.sparseOrder(of: graph)
        let sparseParameters = try sparse.map { tensor -> ModelInspection.Parameter in
            guard let type = TensorDataType(onnx: tensor.values.dataType) else {
                throw WardenError(.invalidModel, "sparse initializer '\(tensor.values.name)' has element type \(tensor.values.dataType), which ONNX does not define")
            }
            return .init(name: tensor.values.name, dataType: type, shape: tensor.dims, kind: .sparseInitializer)
        }
        let trained = TrainedAttributes.entries(of: graph, order: try GraphOrder.order(graph))
        let attributeParameters = trained.map { entry in
            let (type, count) = TrainedAttributes.typeAndCount(entry.attribute)
            return ModelInspection.Parameter(name: entry.label, dataType: type, shape: [count], kind: .attribute)
        }

        var weights = CanonicalHasher()
        for tensor in canonicalInitializers {
            weights.int(Int64(tensor.dataType))
            weights.int(tensor.dims.count)
            for dim in tensor.dims { weights.int(dim) }
            weights.bytesHeader(try TensorValues.byteCount(tensor, resolver: resolver))
            try TensorValues.forEachChunk(tensor, resolver: resolver) { weights.raw($0) }
        }
        weights.tag("sparse-initializers")
        weights.int(sparse.count)
        for tensor in sparse {
            weights.int(tensor.dims.count)
            for dim in tensor.dims { weights.int(dim) }
            for part in [tensor.values, tensor.indices] {
                weights.int(Int64(part.dataType))
                weights.bytesHeader(try TensorValues.byteCount(part, resolver: resolver))
                try TensorValues.forEachChunk(part, resolver: resolver) { weights.raw($0) }
            }
        }
        weights.tag("trained-attributes")
        weights.int(trained.count)
        for entry in trained {
            let bytes = try TrainedAttributes.valueBytes(entry.attribute, resolver: resolver)
            weights.string(entry.attribute.name)
            weights.bytesHeader(bytes.count)
            bytes.withUnsafeBytes { weights.raw($0) }
        }

        return ModelInspection(
            format: "onnx",
            irVersion: model.proto.irVersion,
            producer: [model.proto.producerName, model.proto.producerVersion].filter { !$0.isEmpty }.joined(separator: " "),
            opsets: model.proto.opsetImport.map { .init(domain: $0.domain.isEmpty ? "ai.onnx" : $0.domain, version: $0.version) },
            signature: signature,
            opCounts: opCounts,
            parameters: parameters + sparseParameters + attributeParameters,
            topologyFingerprint: topology.hasher.finalize(),
            weightsDigest: weights.finalize()
        )
    }

    /// The graph's IO signature: inputs that are not initializers, and outputs (tensors only).
    package static func signature(_ graph: Onnx_GraphProto, initializers: Set<String>, strict: Bool) throws -> IOSignature {
        var inputs: [TensorSpec] = []
        for value in graph.input where !initializers.contains(value.name) {
            if let spec = try TensorSpec(value) { inputs.append(spec) }
        }
        return IOSignature(inputs: inputs, outputs: try graph.output.compactMap { try TensorSpec($0) })
    }

    /// The op name as reported: bare for the default domain, `domain.Op` otherwise.
    package static func opName(_ node: Onnx_NodeProto) -> String {
        node.domain.isEmpty || node.domain == "ai.onnx" ? node.opType : "\(node.domain).\(node.opType)"
    }

    package static func countOps(_ graph: Onnx_GraphProto, _ count: (String) -> Void) {
        for node in graph.node {
            count(opName(node))
            for attribute in node.attribute {
                for subgraph in (attribute.hasG ? [attribute.g] : []) + attribute.graphs {
                    countOps(subgraph, count)
                }
            }
        }
    }
}

/// The structural encoding behind the topology fingerprint.
///
/// Tensors are named by position, never by their names: graph inputs in
/// order, then initializers as nodes first use them, then node outputs as
/// nodes (in canonical order) produce them. Float tensor attributes keep
/// only dtype and shape (they hold trained values); integer and boolean ones
/// keep their values (they hold shapes, axes and indices).
package struct TopologyEncoder {
    package var hasher = CanonicalHasher()
    package let resolver: ExternalDataResolver
    private var nextID = 0
    /// Initializers of the main graph in the order the encoding first used them.
    private var usedInitializers: [String] = []

    package init(resolver: ExternalDataResolver) {
        self.resolver = resolver
    }

    package mutating func encodeModel(_ model: Onnx_ModelProto) throws {
        hasher.tag("opsets")
        let opsets = model.opsetImport.map { ($0.domain.isEmpty ? "ai.onnx" : $0.domain, $0.version) }.sorted { $0.0 < $1.0 }
        hasher.int(opsets.count)
        for (domain, version) in opsets {
            hasher.string(domain)
            hasher.int(version)
        }
        try encodeGraph(model.graph, outer: [:], visible: [], recordInitializers: true)
    }

    /// Main-graph sparse initializers in canonical order: first use, then unused ones in file order.
    package func sparseOrder(of graph: Onnx_GraphProto) -> [Onnx_SparseTensorProto] {
        let byName = Dictionary(graph.sparseInitializer.map { ($0.values.name, $0) }, uniquingKeysWith: { first, _ in first })
        let used = Set(usedInitializers)
        return usedInitializers.compactMap { byName[$0] } + graph.sparseInitializer.filter { !used.contains($0.values.name) }
    }

    /// Main-graph initializers in canonical order: first use, then unused ones in file order.
    package func initializerOrder(of graph: Onnx_GraphProto) -> [Onnx_TensorProto] {
        let byName = Dictionary(graph.initializer.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let used = Set(usedInitializers)
        return usedInitializers.compactMap { byName[$0] } + graph.initializer.filter { !used.contains($0.name) }
    }

    /// - Parameters:
    ///   - outer: ids of the enclosing graphs' values encoded so far.
    ///   - visible: every name the enclosing graphs define (a subgraph may read an
    ///     outer initializer no outer node has read yet; it is then encoded positionally).
    private mutating func encodeGraph(_ graph: Onnx_GraphProto, outer: [String: Int], visible: Set<String>, recordInitializers: Bool) throws {
        let order = try GraphOrder.order(graph, outerScope: visible.union(outer.keys))
        var inScope = visible.union(graph.input.map(\.name)).union(graph.initializer.map(\.name)).union(graph.sparseInitializer.map(\.values.name))
        inScope.formUnion(graph.node.flatMap(\.output))
        let initializers = Dictionary(graph.initializer.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let sparseInitializers = Dictionary(graph.sparseInitializer.map { ($0.values.name, $0) }, uniquingKeysWith: { first, _ in first })
        var ids = outer

        hasher.tag("graph")
        let inputs = graph.input.filter { initializers[$0.name] == nil && sparseInitializers[$0.name] == nil }
        hasher.int(inputs.count)
        for input in inputs {
            ids[input.name] = allocate()
            encodeType(input.type)
        }

        hasher.int(order.count)
        for index in order {
            let node = graph.node[index]
            var inputIDs: [Int] = []
            for name in node.input {
                if name.isEmpty {
                    inputIDs.append(-1)
                } else if let id = ids[name] {
                    inputIDs.append(id)
                } else if let tensor = initializers[name] {
                    let id = allocate()
                    ids[name] = id
                    if recordInitializers { usedInitializers.append(name) }
                    hasher.tag("initializer")
                    hasher.int(id)
                    hasher.int(Int64(tensor.dataType))
                    hasher.int(tensor.dims.count)
                    for dim in tensor.dims { hasher.int(dim) }
                    inputIDs.append(id)
                } else if let sparse = sparseInitializers[name] {
                    let id = allocate()
                    ids[name] = id
                    if recordInitializers { usedInitializers.append(name) }
                    hasher.tag("sparse-initializer")
                    hasher.int(id)
                    hasher.int(Int64(sparse.values.dataType))
                    hasher.int(sparse.dims.count)
                    for dim in sparse.dims { hasher.int(dim) }
                    inputIDs.append(id)
                } else {
                    // Names GraphOrder accepted from an outer scope.
                    let id = allocate()
                    ids[name] = id
                    inputIDs.append(id)
                }
            }
            hasher.tag("node")
            hasher.string(node.domain == "ai.onnx" ? "" : node.domain)
            hasher.string(node.opType)
            hasher.int(inputIDs.count)
            for id in inputIDs { hasher.int(id) }
            hasher.int(node.output.count)
            for name in node.output {
                if name.isEmpty {
                    hasher.int(-1)
                } else {
                    let id = allocate()
                    ids[name] = id
                    hasher.int(id)
                }
            }
            let attributes = node.attribute.sorted { $0.name < $1.name }
            hasher.int(attributes.count)
            for attribute in attributes {
                if TrainedAttributes.isTrained(attribute, of: node) {
                    // Trained values belong to the weights digest; keep only what the architecture fixes.
                    hasher.tag("trained-attribute")
                    hasher.string(attribute.name)
                    hasher.int(attribute.type.rawValue)
                    if TrainedAttributes.countIsStructural(node) { hasher.int(TrainedAttributes.typeAndCount(attribute).1) }
                    continue
                }
                try encodeAttribute(attribute, scope: ids, visible: inScope)
            }
        }

        hasher.tag("outputs")
        hasher.int(graph.output.count)
        for output in graph.output {
            hasher.int(ids[output.name] ?? -1)
            encodeType(output.type)
        }

        let unused = graph.initializer.filter { ids[$0.name] == nil || outer[$0.name] != nil }
            + graph.sparseInitializer.filter { ids[$0.values.name] == nil || outer[$0.values.name] != nil }.map { sparse in
                var shape = Onnx_TensorProto()
                shape.dataType = sparse.values.dataType
                shape.dims = sparse.dims
                return shape
            }
        hasher.tag("unused-initializers")
        let shapes = unused.map { ($0.dataType, $0.dims) }.sorted { ($0.0, $0.1.count) < ($1.0, $1.1.count) || ($0.0 == $1.0 && $0.1.count == $1.1.count && $0.1.lexicographicallyPrecedes($1.1)) }
        hasher.int(shapes.count)
        for (type, dims) in shapes {
            hasher.int(Int64(type))
            hasher.int(dims.count)
            for dim in dims { hasher.int(dim) }
        }
    }

    private mutating func allocate() -> Int {
        defer { nextID += 1 }
        return nextID
    }

    private mutating func encodeType(_ type: Onnx_TypeProto) {
        switch type.value {
        case .tensorType(let tensor)?:
            hasher.tag("tensor")
            hasher.int(Int64(tensor.elemType))
            guard tensor.hasShape else {
                hasher.int(-1)
                return
            }
            hasher.int(tensor.shape.dim.count)
            for dim in tensor.shape.dim {
                if case .dimValue(let size)? = dim.value { hasher.int(size) } else { hasher.int(-1) }
            }
        case .sequenceType(let sequence)?:
            hasher.tag("sequence")
            encodeType(sequence.elemType)
        case .mapType(let map)?:
            hasher.tag("map")
            hasher.int(Int64(map.keyType))
            encodeType(map.valueType)
        case .optionalType(let optional)?:
            hasher.tag("optional")
            encodeType(optional.elemType)
        default:
            hasher.tag("other-type")
        }
    }

    private mutating func encodeAttribute(_ attribute: Onnx_AttributeProto, scope: [String: Int], visible: Set<String>) throws {
        hasher.string(attribute.name)
        hasher.int(attribute.type.rawValue)
        hasher.string(attribute.refAttrName)
        hasher.int(Int64(attribute.f.bitPattern))
        hasher.int(attribute.i)
        hasher.int(attribute.s.count)
        attribute.s.withUnsafeBytes { hasher.raw($0) }
        hasher.int(attribute.floats.count)
        for value in attribute.floats { hasher.int(Int64(value.bitPattern)) }
        hasher.int(attribute.ints.count)
        for value in attribute.ints { hasher.int(value) }
        hasher.int(attribute.strings.count)
        for value in attribute.strings {
            hasher.int(value.count)
            value.withUnsafeBytes { hasher.raw($0) }
        }
        let tensors = (attribute.hasT ? [attribute.t] : []) + attribute.tensors
        hasher.int(tensors.count)
        for tensor in tensors { try encodeTensorAttribute(tensor) }
        let graphs = (attribute.hasG ? [attribute.g] : []) + attribute.graphs
        hasher.int(graphs.count)
        for graph in graphs { try encodeGraph(graph, outer: scope, visible: visible, recordInitializers: false) }
    }

    private mutating func encodeTensorAttribute(_ tensor: Onnx_TensorProto) throws {
        hasher.tag("tensor-attribute")
        hasher.int(Int64(tensor.dataType))
        hasher.int(tensor.dims.count)
        for dim in tensor.dims { hasher.int(dim) }
        let type = TensorDataType(onnx: tensor.dataType)
        let structural: Set<TensorDataType> = [.int64, .int32, .int16, .int8, .uint64, .uint32, .uint16, .uint8, .bool, .string]
        guard let type, structural.contains(type) else { return }
        hasher.bytesHeader(try TensorValues.byteCount(tensor, resolver: resolver))
        try TensorValues.forEachChunk(tensor, resolver: resolver) { hasher.raw($0) }
    }
}
