import Foundation
import WardenCore

/// One row of a query result, read by column name, whatever database it came from.
///
/// The stores select the same column names, so one mapping from a row to a record
/// (`MetadataCoding.modelRecord(_:)` and its siblings) serves both. A value of the wrong
/// type, or a NULL where the schema forbids one, is a damaged database: `.ioFailure`.
protocol MetadataRow {
    func optionalText(_ column: String) throws -> String?
    func optionalInteger(_ column: String) throws -> Int64?
    func flag(_ column: String) throws -> Bool
}

extension MetadataRow {
    func text(_ column: String) throws -> String {
        guard let value = try optionalText(column) else { throw MetadataRowError.missing(column) }
        return value
    }

    func integer(_ column: String) throws -> Int64 {
        guard let value = try optionalInteger(column) else { throw MetadataRowError.missing(column) }
        return value
    }
}

enum MetadataRowError {
    static func missing(_ column: String) -> WardenError {
        WardenError(.ioFailure, "the metadata database holds no value in \(column), which every row needs; run warden fsck")
    }

    static func unreadable(_ column: String, _ error: any Error) -> WardenError {
        WardenError(.ioFailure, "the metadata database holds an unreadable value in \(column); run warden fsck", cause: error)
    }
}

extension MetadataCoding {
    /// Columns `name, description, tags, created_at, updated_at, created_by` of `models`.
    static func modelRecord(_ row: some MetadataRow) throws -> ModelRecord {
        ModelRecord(
            name: try row.text("name"),
            description: try row.text("description"),
            tags: try decodeArray(try row.text("tags"), column: "models.tags"),
            createdAt: date(try row.integer("created_at")),
            updatedAt: date(try row.integer("updated_at")),
            createdBy: try row.text("created_by")
        )
    }

    /// Columns `path, digest, size` of `version_files`.
    static func fileEntry(_ row: some MetadataRow) throws -> FileEntry {
        FileEntry(
            path: try row.text("path"),
            digest: try decodeDigest(try row.text("digest"), column: "version_files.digest"),
            size: try row.integer("size")
        )
    }

    /// Every column of `versions`, and the model's name as `model_name`.
    static func versionRecord(_ row: some MetadataRow, files: [FileEntry]) throws -> VersionRecord {
        let new = NewVersion(
            model: try row.text("model_name"),
            version: try decodeVersion(try row.text("version"), column: "versions.version"),
            manifestDigest: try decodeDigest(try row.text("manifest_digest"), column: "versions.manifest_digest"),
            files: files,
            bundle: try row.optionalText("bundle"),
            signers: try decodeArray(try row.text("signers"), column: "versions.signers"),
            descriptionJSON: try row.text("description"),
            requiredBump: try row.optionalText("required_bump").map { text in
                guard let level = ChangeLevel(name: text) else { throw corrupt("versions.required_bump", text) }
                return level
            },
            baseline: try row.optionalText("baseline").map { try decodeVersion($0, column: "versions.baseline") },
            lineage: LineageRecord(
                parentName: try row.optionalText("parent_name"),
                parentVersion: try row.optionalText("parent_version").map { try decodeVersion($0, column: "versions.parent_version") },
                dataset: try row.optionalText("dataset_digest").map { try decodeDigest($0, column: "versions.dataset_digest") },
                codeRevision: try row.optionalText("code_revision"),
                runURL: try row.optionalText("run_url")
            )
        )
        return VersionRecord(
            new, createdAt: date(try row.integer("created_at")), createdBy: try row.text("created_by"),
            yanked: try row.flag("yanked"), yankReason: try row.optionalText("yank_reason")
        )
    }

    /// Versions sorted as every listing returns them: by model name, then SemVer precedence.
    static func sortedVersions(_ rows: [some MetadataRow], files: [Int64: [FileEntry]]) throws -> [VersionRecord] {
        let records = try rows.map { row in try versionRecord(row, files: files[try row.integer("id")] ?? []) }
        return records.sorted { ($0.model, $0.version) < ($1.model, $1.version) }
    }

    /// Columns `name, alias, version, updated_at, updated_by` (models, aliases, versions joined).
    static func aliasRecord(_ row: some MetadataRow) throws -> AliasRecord {
        AliasRecord(
            model: try row.text("name"),
            alias: try row.text("alias"),
            version: try decodeVersion(try row.text("version"), column: "versions.version"),
            updatedAt: date(try row.integer("updated_at")),
            updatedBy: try row.text("updated_by")
        )
    }

    /// Columns `alias, from_version, to_version, actor, at` of one alias move.
    static func aliasMove(_ row: some MetadataRow, model: String) throws -> AliasMove {
        AliasMove(
            model: model,
            alias: try row.text("alias"),
            from: try row.optionalText("from_version").map { try decodeVersion($0, column: "versions.version") },
            to: try row.optionalText("to_version").map { try decodeVersion($0, column: "versions.version") },
            actor: try row.text("actor"),
            at: date(try row.integer("at"))
        )
    }

    /// Every column of `tokens`.
    static func tokenRecord(_ row: some MetadataRow) throws -> TokenRecord {
        let roleName = try row.text("role")
        guard let role = Role(name: roleName) else { throw corrupt("tokens.role", roleName) }
        return TokenRecord(
            id: try row.integer("id"),
            name: try row.text("name"),
            role: role,
            secretHash: try decodeDigest(try row.text("secret_hash"), column: "tokens.secret_hash"),
            createdAt: date(try row.integer("created_at")),
            createdBy: try row.text("created_by"),
            revokedAt: try row.optionalInteger("revoked_at").map(date)
        )
    }

    /// Every column of `rollouts`.
    static func rolloutRecord(_ row: some MetadataRow) throws -> RolloutRecord {
        RolloutRecord(
            model: try row.text("model"),
            stable: try decodeVersion(try row.text("stable"), column: "rollouts.stable"),
            candidate: try decodeVersion(try row.text("candidate"), column: "rollouts.candidate"),
            plan: try row.text("plan"), state: try row.text("state"), phase: try row.text("phase"),
            weight: Int(try row.integer("weight")),
            startedAt: date(try row.integer("started_at")), startedBy: try row.text("started_by"),
            updatedAt: date(try row.integer("updated_at"))
        )
    }

    /// Every column of `events`.
    static func event(_ row: some MetadataRow) throws -> RegistryEvent {
        let kindName = try row.text("kind")
        guard let kind = RegistryEvent.Kind(rawValue: kindName) else { throw corrupt("events.kind", kindName) }
        return RegistryEvent(
            sequence: try row.integer("sequence"),
            kind: kind,
            model: try row.optionalText("model"),
            version: try row.optionalText("version").map { try decodeVersion($0, column: "events.version") },
            alias: try row.optionalText("alias"),
            actor: try row.text("actor"),
            at: date(try row.integer("at")),
            detailJSON: try row.text("detail")
        )
    }

    /// The canonical audit text of an event row (every column of `events`).
    static func auditEntry(ofEventRow row: some MetadataRow) throws -> String {
        auditEntry(
            sequence: try row.integer("sequence"), kind: try row.text("kind"), model: try row.optionalText("model"),
            version: try row.optionalText("version"), alias: try row.optionalText("alias"), actor: try row.text("actor"),
            at: try row.integer("at"), detail: try row.text("detail")
        )
    }

    /// Columns `leaf_index, sequence, entry, checkpoint` of `audit_entries`.
    static func auditRecord(_ row: some MetadataRow) throws -> AuditEntry {
        AuditEntry(
            index: Int(try row.integer("leaf_index")), sequence: try row.integer("sequence"),
            entry: try row.text("entry"), checkpoint: try row.text("checkpoint")
        )
    }
}
