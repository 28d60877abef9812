import Foundation
import GRDB
import WardenCore

extension SQLiteMetadataStore {
    public func versions(of model: String) async throws -> [VersionRecord] {
        try await read { db in
            try Self.fetchVersions(db, where: "m.name = ?", [model])
        }
    }

    public func version(of model: String, _ version: SemanticVersion) async throws -> VersionRecord? {
        try await read { db in
            try Self.fetchVersions(db, where: "m.name = ? AND v.precedence = ?", [model, Self.precedence(version)]).first
        }
    }

    public func insertVersion(_ new: NewVersion, actor: String) async throws -> VersionRecord {
        let now = Self.now()
        return try await write { db in
            guard let modelID = try Self.modelID(db, new.model) else {
                throw Self.unknownModelForVersion(new)
            }
            if let existing = try String.fetchOne(
                db, sql: "SELECT version FROM versions WHERE model_id = ? AND precedence = ?",
                arguments: [modelID, Self.precedence(new.version)]
            ) {
                throw Self.versionExists(new, existing: existing)
            }
            let lineage = new.lineage
            try db.execute(
                sql: """
                    INSERT INTO versions (
                        model_id, version, precedence, major, minor, patch, prerelease, manifest_digest, bundle, signers,
                        description, required_bump, baseline, parent_name, parent_version, parent_precedence,
                        dataset_digest, code_revision, run_url, created_at, created_by)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    modelID, new.version.description, Self.precedence(new.version),
                    Int64(clamping: new.version.major), Int64(clamping: new.version.minor), Int64(clamping: new.version.patch),
                    new.version.prerelease.map(\.description).joined(separator: "."),
                    new.manifestDigest.description, new.bundle, Self.jsonArray(new.signers),
                    new.descriptionJSON, new.requiredBump.map { $0.description.lowercased() }, new.baseline?.description,
                    lineage.parentName, lineage.parentVersion?.description, lineage.parentVersion.map(Self.precedence),
                    lineage.dataset?.description, lineage.codeRevision, lineage.runURL,
                    Self.millis(now), actor,
                ]
            )
            let versionID = db.lastInsertedRowID
            for (position, file) in new.files.enumerated() {
                do {
                    try db.execute(
                        sql: "INSERT INTO version_files (version_id, position, path, digest, size) VALUES (?, ?, ?, ?, ?)",
                        arguments: [versionID, position, file.path, file.digest.description, file.size]
                    )
                } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                    // The whole transaction, the version row included, rolls back.
                    throw Self.badFileList(new, file, cause: error)
                }
            }
            try self.appendEvent(
                db, .versionCreated, model: new.model, version: new.version, actor: actor, at: now,
                detail: Self.versionCreatedDetail(new)
            )
            return VersionRecord(new, createdAt: now, createdBy: actor)
        }
    }

    public func setYanked(model: String, version: SemanticVersion, yanked: Bool, reason: String?, actor: String) async throws -> VersionRecord {
        let now = Self.now()
        let reason = yanked ? reason : nil
        return try await write { db in
            guard var record = try Self.fetchVersions(db, where: "m.name = ? AND v.precedence = ?", [model, Self.precedence(version)]).first else {
                throw try Self.unknownVersion(db, model, version)
            }
            if record.yanked == yanked, record.yankReason == reason { return record }
            try db.execute(
                sql: """
                    UPDATE versions SET yanked = ?, yank_reason = ?
                    WHERE precedence = ? AND model_id = (SELECT id FROM models WHERE name = ?)
                    """,
                arguments: [yanked, reason, Self.precedence(version), model]
            )
            record.yanked = yanked
            record.yankReason = reason
            try self.appendEvent(
                db, yanked ? .versionYanked : .versionUnyanked, model: model, version: record.version, actor: actor, at: now,
                detail: yanked ? ["reason": reason] : [:]
            )
            return record
        }
    }

    public func children(of model: String, _ version: SemanticVersion) async throws -> [VersionRecord] {
        try await read { db in
            try Self.fetchVersions(db, where: "v.parent_name = ? AND v.parent_precedence = ?", [model, Self.precedence(version)])
        }
    }

    public func versions(trainedOn dataset: Digest) async throws -> [VersionRecord] {
        try await read { db in
            try Self.fetchVersions(db, where: "v.dataset_digest = ?", [dataset.description])
        }
    }

    // MARK: Rows

    /// Versions matching `condition` (over `versions v JOIN models m`), files included,
    /// ordered by model name, then SemVer precedence.
    static func fetchVersions(_ db: Database, where condition: String, _ arguments: StatementArguments) throws -> [VersionRecord] {
        let rows = try Row.fetchAll(
            db,
            sql: "SELECT v.*, m.name AS model_name FROM versions v JOIN models m ON m.id = v.model_id WHERE \(condition)",
            arguments: arguments
        )
        if rows.isEmpty { return [] }
        var files: [Int64: [FileEntry]] = [:]
        let fileRows = try Row.fetchAll(
            db,
            sql: """
                SELECT version_id, path, digest, size FROM version_files
                WHERE version_id IN (SELECT v.id FROM versions v JOIN models m ON m.id = v.model_id WHERE \(condition))
                ORDER BY version_id, position
                """,
            arguments: arguments
        )
        for row in fileRows {
            files[try row.integer("version_id"), default: []].append(try fileEntry(row))
        }
        return try sortedVersions(rows, files: files)
    }

    /// `.notFound` naming what is missing: the model, or only the version.
    static func unknownVersion(_ db: Database, _ model: String, _ version: SemanticVersion) throws -> WardenError {
        guard try modelID(db, model) != nil else { return unknownModel(model) }
        return unknownVersionOfKnownModel(model, version)
    }
}
