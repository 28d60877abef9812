import Foundation
import WardenCore

/// Attributes that hold trained values rather than structure.
///
/// Classic models (skl2onnx, onnxmltools) keep what they learned in node
/// attributes, not initializers: a LinearClassifier's `coefficients`, a
/// Scaler's `offset`, a tree ensemble's thresholds and leaf weights. Retraining
/// such a model must read as a change of values (PATCH), not of architecture,
/// so these attributes go into the weights digest and out of the topology
/// fingerprint, and `warden diff` compares them like initializers.
///
/// For linear models and scalers the number of values is fixed by the model's
/// shape (features × classes) and stays in the fingerprint; for tree ensembles
/// and SVMs it grows with what was learned (nodes, support vectors) and does not.
package enum TrainedAttributes {
    package static let mlDomain = "ai.onnx.ml"

    /// Ops whose trained attributes have a count fixed by the architecture.
    private static let shapedOps: Set<String> = ["LinearClassifier", "LinearRegressor", "Scaler"]
    private static let treePrefixes = ["nodes_", "class_", "target_", "leaf_", "tree_", "membership_", "base_values"]

    package static func isTrained(_ attribute: Onnx_AttributeProto, of node: Onnx_NodeProto) -> Bool {
        guard node.domain == mlDomain else { return false }
        if node.opType.hasPrefix("TreeEnsemble") {
            return treePrefixes.contains { attribute.name.hasPrefix($0) }
        }
        switch attribute.type {
        case .float, .floats, .tensor, .tensors: return true
        default: return node.opType.hasPrefix("SVM") && ["vectors_per_class"].contains(attribute.name)
        }
    }

    package static func countIsStructural(_ node: Onnx_NodeProto) -> Bool { shapedOps.contains(node.opType) }

    /// One trained attribute: a label for people, and where it is.
    package struct Entry {
        /// `<node name or Op#index>.<attribute>`.
        let label: String
        let node: Onnx_NodeProto
        let attribute: Onnx_AttributeProto
    }

    /// The main graph's trained attributes, in canonical node order.
    package static func entries(of graph: Onnx_GraphProto, order: [Int]) -> [Entry] {
        var entries: [Entry] = []
        for index in order {
            let node = graph.node[index]
            guard node.domain == mlDomain else { continue }
            for attribute in node.attribute.sorted(by: { $0.name < $1.name }) where isTrained(attribute, of: node) {
                let owner = node.name.isEmpty ? "\(node.opType)#\(index)" : node.name
                entries.append(Entry(label: "\(owner).\(attribute.name)", node: node, attribute: attribute))
            }
        }
        return entries
    }

    /// The attribute's element type and count.
    package static func typeAndCount(_ attribute: Onnx_AttributeProto) -> (TensorDataType, Int64) {
        switch attribute.type {
        case .float: (.float32, 1)
        case .floats: (.float32, Int64(attribute.floats.count))
        case .int: (.int64, 1)
        case .ints: (.int64, Int64(attribute.ints.count))
        case .string: (.string, 1)
        case .strings: (.string, Int64(attribute.strings.count))
        case .tensor: (TensorDataType(onnx: attribute.t.dataType) ?? .uint8, TensorValues.elementCount(attribute.t) ?? 0)
        default: (.uint8, 0)
        }
    }

    /// The values as little-endian bytes (strings length-prefixed), for hashing and comparison.
    package static func valueBytes(_ attribute: Onnx_AttributeProto, resolver: ExternalDataResolver) throws -> Data {
        var out = Data()
        func append<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
        }
        switch attribute.type {
        case .float: append(attribute.f.bitPattern)
        case .floats: for value in attribute.floats { append(value.bitPattern) }
        case .int: append(attribute.i)
        case .ints: for value in attribute.ints { append(value) }
        case .string:
            append(Int64(attribute.s.count))
            out.append(attribute.s)
        case .strings:
            for value in attribute.strings {
                append(Int64(value.count))
                out.append(value)
            }
        case .tensor:
            try TensorValues.forEachChunk(attribute.t, resolver: resolver) { out.append(contentsOf: $0) }
        case .tensors:
            for tensor in attribute.tensors {
                try TensorValues.forEachChunk(tensor, resolver: resolver) { out.append(contentsOf: $0) }
            }
        default: break
        }
        return out
    }
}
