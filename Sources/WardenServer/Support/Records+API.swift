import Foundation
import WardenAPI
import WardenCore
import WardenRegistry

// The registry's records as the API's wire types (WardenAPI, shared with the client);
// openapi.yaml documents the same shapes.

extension ModelResource {
    init(_ record: ModelRecord) {
        self.init(name: record.name, description: record.description, tags: record.tags, createdAt: record.createdAt, updatedAt: record.updatedAt, createdBy: record.createdBy)
    }
}

extension FileResource {
    init(_ entry: FileEntry) {
        self.init(path: entry.path, digest: entry.digest.description, size: entry.size)
    }
}

extension LineageResource {
    init(_ record: LineageRecord) {
        let parent = record.parentName.flatMap { name in record.parentVersion.map { "\(name)@\($0)" } }
        self.init(parent: parent, dataset: record.dataset?.description, codeRevision: record.codeRevision, runURL: record.runURL)
    }
}

extension VersionSummary {
    init(_ record: VersionRecord) {
        self.init(
            model: record.content.model, version: record.content.version.description,
            manifestDigest: record.content.manifestDigest.description, size: record.totalSize,
            fileCount: record.content.files.count, signed: record.content.bundle != nil, signers: record.content.signers,
            yanked: record.yanked, yankReason: record.yankReason, createdAt: record.createdAt, createdBy: record.createdBy,
            requiredBump: record.content.requiredBump?.description, baseline: record.content.baseline?.description
        )
    }
}

extension VersionDetail {
    init(_ record: VersionRecord, created: Bool? = nil) {
        var description = JSONValue(json: Data(record.content.descriptionJSON.utf8))?.objectValue ?? [:]
        // The stored description was read from a scratch directory on the server: its path is
        // meaningless to a client and names the server's file system.
        description["path"] = nil
        self.init(
            summary: VersionSummary(record), files: record.content.files.map(FileResource.init),
            lineage: LineageResource(record.content.lineage), description: .object(description), created: created
        )
    }
}

extension AliasResource {
    init(_ record: AliasRecord) {
        self.init(model: record.model, alias: record.alias, version: record.version.description, updatedAt: record.updatedAt, updatedBy: record.updatedBy)
    }
}

extension AliasMoveResource {
    init(_ move: AliasMove) {
        self.init(model: move.model, alias: move.alias, from: move.from?.description, to: move.to?.description, actor: move.actor, at: move.at)
    }
}

extension TokenResource {
    init(_ record: TokenRecord, secret: String? = nil) {
        self.init(
            id: record.id, name: record.name, role: record.role.description, createdAt: record.createdAt, createdBy: record.createdBy,
            revoked: record.isRevoked, revokedAt: record.revokedAt, token: secret
        )
    }
}

extension EventResource {
    init(_ event: RegistryEvent) {
        self.init(
            sequence: event.sequence, kind: event.kind.rawValue, actor: event.actor, at: event.at,
            model: event.model, version: event.version?.description, alias: event.alias,
            detail: JSONValue(json: Data(event.detailJSON.utf8))?.objectValue ?? [:]
        )
    }
}
