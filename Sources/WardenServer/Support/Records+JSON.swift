import Foundation
import WardenCore
import WardenRegistry

// The API's JSON shapes (see openapi.yaml): snake_case keys, RFC 3339 dates.

extension ModelRecord {
    var jsonObject: [String: Any] {
        ["name": name, "description": description, "tags": tags, "created_at": createdAt.iso8601, "updated_at": updatedAt.iso8601, "created_by": createdBy]
    }
}

extension FileEntry {
    var jsonObject: [String: Any] { ["path": path, "digest": digest.description, "size": size] }
}

extension LineageRecord {
    var jsonObject: [String: Any] {
        var object: [String: Any] = [:]
        if let parentName, let parentVersion { object["parent"] = "\(parentName)@\(parentVersion)" }
        object["dataset"] = dataset?.description
        object["code_revision"] = codeRevision
        object["run_url"] = runURL
        return object
    }
}

extension VersionRecord {
    /// The summary listings show.
    var summaryJSON: [String: Any] {
        var object: [String: Any] = [
            "model": model,
            "version": version.description,
            "manifest_digest": manifestDigest.description,
            "size": totalSize,
            "file_count": files.count,
            "signed": bundle != nil,
            "signers": signers,
            "yanked": yanked,
            "created_at": createdAt.iso8601,
            "created_by": createdBy,
        ]
        object["yank_reason"] = yankReason
        object["required_bump"] = requiredBump?.description
        object["baseline"] = baseline?.description
        return object
    }

    /// Everything: files, lineage and the model description.
    var detailJSON: [String: Any] {
        var object = summaryJSON
        object["files"] = files.map(\.jsonObject)
        object["lineage"] = lineage.jsonObject
        if let description = try? JSONSerialization.jsonObject(with: Data(descriptionJSON.utf8)) {
            object["description"] = description
        }
        return object
    }
}

extension AliasRecord {
    var jsonObject: [String: Any] {
        ["model": model, "alias": alias, "version": version.description, "updated_at": updatedAt.iso8601, "updated_by": updatedBy]
    }
}

extension AliasMove {
    var jsonObject: [String: Any] {
        [
            "model": model, "alias": alias,
            "from": from.map { $0.description as Any } ?? NSNull(),
            "to": to.map { $0.description as Any } ?? NSNull(),
            "actor": actor, "at": at.iso8601,
        ]
    }
}

extension TokenRecord {
    var jsonObject: [String: Any] {
        var object: [String: Any] = ["id": id, "name": name, "role": role.description, "created_at": createdAt.iso8601, "created_by": createdBy, "revoked": isRevoked]
        object["revoked_at"] = revokedAt?.iso8601
        return object
    }
}

extension RegistryEvent {
    var jsonObject: [String: Any] {
        var object: [String: Any] = ["sequence": sequence, "kind": kind.rawValue, "actor": actor, "at": at.iso8601]
        object["model"] = model
        object["version"] = version?.description
        object["alias"] = alias
        if let detail = try? JSONSerialization.jsonObject(with: Data(detailJSON.utf8)) { object["detail"] = detail }
        return object
    }
}
