import Foundation
import WardenCore
import WardenRegistry

// The API's JSON shapes (see openapi.yaml): snake_case keys, RFC 3339 dates, and
// every documented field present, `null` when it has no value.

extension Optional {
    /// The value, or JSON `null`.
    var orNull: Any { map { $0 as Any } ?? NSNull() }
}

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
        let parent = parentName.flatMap { name in parentVersion.map { "\(name)@\($0)" } }
        return ["parent": parent.orNull, "dataset": (dataset?.description).orNull, "code_revision": codeRevision.orNull, "run_url": runURL.orNull]
    }
}

extension VersionRecord {
    /// The summary listings show.
    var summaryJSON: [String: Any] {
        [
            "model": content.model,
            "version": content.version.description,
            "manifest_digest": content.manifestDigest.description,
            "size": totalSize,
            "file_count": content.files.count,
            "signed": content.bundle != nil,
            "signers": content.signers,
            "yanked": yanked,
            "created_at": createdAt.iso8601,
            "created_by": createdBy,
            "yank_reason": yankReason.orNull,
            "required_bump": (content.requiredBump?.description).orNull,
            "baseline": (content.baseline?.description).orNull,
        ]
    }

    /// Everything: files, lineage and the model description.
    var detailJSON: [String: Any] {
        var object = summaryJSON
        object["files"] = content.files.map(\.jsonObject)
        object["lineage"] = content.lineage.jsonObject
        var description = (try? JSONSerialization.jsonObject(with: Data(content.descriptionJSON.utf8))) as? [String: Any] ?? [:]
        // The stored description was read from a scratch directory on the server: its path is
        // meaningless to a client and names the server's file system.
        description["path"] = nil
        object["description"] = description
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
            "from": (from?.description).orNull,
            "to": (to?.description).orNull,
            "actor": actor, "at": at.iso8601,
        ]
    }
}

extension TokenRecord {
    var jsonObject: [String: Any] {
        [
            "id": id, "name": name, "role": role.description, "created_at": createdAt.iso8601, "created_by": createdBy,
            "revoked": isRevoked, "revoked_at": (revokedAt?.iso8601).orNull,
        ]
    }
}

extension RegistryEvent {
    var jsonObject: [String: Any] {
        [
            "sequence": sequence, "kind": kind.rawValue, "actor": actor, "at": at.iso8601,
            "model": model.orNull, "version": (version?.description).orNull, "alias": alias.orNull,
            "detail": (try? JSONSerialization.jsonObject(with: Data(detailJSON.utf8))) as? [String: Any] ?? [:],
        ]
    }
}
