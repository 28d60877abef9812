import Foundation
import WardenCore
import WardenONNX

// JSON shapes shared by `warden inspect --json`, `warden diff --json` and the
// registry API, so a model reads the same everywhere. snake_case keys.

extension TensorSpec {
    public var jsonObject: [String: Any] {
        var object: [String: Any] = ["name": name, "dtype": dataType.rawValue]
        object["shape"] = shape.map { dims in
            dims.map { dim -> Any in
                switch dim {
                case .fixed(let size): size
                case .symbolic(let name): name
                case .unknown: -1
                }
            }
        } ?? NSNull()
        return object
    }
}

extension IOSignature {
    public var jsonObject: [String: Any] {
        ["inputs": inputs.map(\.jsonObject), "outputs": outputs.map(\.jsonObject)]
    }
}

extension ModelCard {
    public var jsonObject: [String: Any] {
        var object: [String: Any] = [:]
        object["name"] = name
        object["description"] = description
        object["format"] = format?.rawValue
        object["framework"] = framework
        object["inputs"] = inputs?.map(\.jsonObject)
        object["outputs"] = outputs?.map(\.jsonObject)
        object["labels"] = labels
        if let lineage {
            var entry: [String: Any] = [:]
            entry["parent"] = lineage.parent?.description
            entry["dataset"] = lineage.dataset?.description
            entry["code_revision"] = lineage.codeRevision
            entry["run_url"] = lineage.runURL
            object["lineage"] = entry
        }
        object["serving"] = serving.map { CardValue.object($0).jsonObject }
        if !metadata.isEmpty { object["metadata"] = CardValue.object(metadata).jsonObject }
        return object
    }
}

extension ModelInspection {
    public var jsonObject: [String: Any] {
        [
            "ir_version": irVersion,
            "producer": producer,
            "opsets": opsets.map { ["domain": $0.domain, "version": $0.version] },
            "op_counts": opCounts,
            "node_count": opCounts.values.reduce(0, +),
            "parameter_count": parameterCount,
            "parameter_bytes": parameterBytes,
            "parameters": parameters.map { ["name": $0.name, "dtype": $0.dataType.rawValue, "shape": $0.shape, "kind": $0.kind.rawValue] },
            "topology_fingerprint": topologyFingerprint.description,
            "weights_digest": weightsDigest.description,
        ]
    }
}

extension ModelDescription {
    public var jsonObject: [String: Any] {
        var object: [String: Any] = [
            "path": path,
            "format": format.rawValue,
            "signature": signature.jsonObject,
            "model_files": modelFiles.sorted(),
        ]
        object["card"] = card?.jsonObject
        object["onnx"] = onnx?.jsonObject
        object["files"] = files.map { $0.mapValues(\.description) }
        return object
    }
}

extension IOChange {
    public var jsonObject: [String: Any] {
        ["kind": kind.rawValue, "side": side.rawValue, "tensor": tensor, "breaking": isBreaking, "detail": detail]
    }
}

extension ChangeAssessment {
    public var jsonObject: [String: Any] {
        var object: [String: Any] = [
            "required_bump": required.description,
            "reasons": reasons,
            "io_changes": ioChanges.map(\.jsonObject),
            "format_changed": formatChanged,
            "topology_changed": topologyChanged,
            "op_count_changes": opCountChanges.map { ["op": $0.op, "before": $0.before, "after": $0.after, "delta": $0.after - $0.before] },
            "opset_changes": opsetChanges,
            "weights_changed": weightsChanged,
        ]
        if let files {
            object["files"] = ["added": files.added, "removed": files.removed, "changed": files.changed]
        }
        return object
    }
}

extension InitializerChange {
    public var jsonObject: [String: Any] {
        var object: [String: Any] = ["name": name]
        object["old_name"] = oldName
        switch kind {
        case .added: object["change"] = "added"
        case .removed: object["change"] = "removed"
        case .bytesChanged: object["change"] = "values"
        case .reshaped(let from, let to):
            object["change"] = "shape"
            object["from"] = from
            object["to"] = to
        case .valuesChanged(let stats):
            object["change"] = "values"
            object["elements"] = stats.elementCount
            object["changed_elements"] = stats.changedCount
            object["changed_fraction"] = stats.changedFraction
            object["max_abs_diff"] = stats.maxAbsoluteDifference
            object["relative_l2_change"] = stats.relativeL2Change.isFinite ? stats.relativeL2Change as Any : "inf" as Any
        }
        return object
    }
}

extension ModelDiff {
    public var jsonObject: [String: Any] {
        var object = assessment.jsonObject
        object["old"] = ["path": old.path, "format": old.format.rawValue, "topology_fingerprint": orNull(old.onnx?.topologyFingerprint.description), "weights_digest": orNull(old.onnx?.weightsDigest.description)]
        object["new"] = ["path": new.path, "format": new.format.rawValue, "topology_fingerprint": orNull(new.onnx?.topologyFingerprint.description), "weights_digest": orNull(new.onnx?.weightsDigest.description)]
        object["initializers"] = initializers.map(\.jsonObject)
        return object
    }
}

/// A JSON value or JSON null: JSONSerialization rejects a bare nil.
func orNull(_ value: (any Sendable)?) -> Any { value ?? NSNull() }
