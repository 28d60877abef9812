import Foundation
import PostgresNIO
import WardenCore

extension PostgresMetadataStore {
    public func versions(of model: String) async throws -> [VersionRecord] {
        try await read { session in try await Self.fetchVersions(session, where: "m.name = \(model)") }
    }

    public func version(of model: String, _ version: SemanticVersion) async throws -> VersionRecord? {
        try await read { session in
            try await Self.fetchVersions(session, where: "m.name = \(model) AND v.precedence = \(Self.precedence(version))").first
        }
    }

    public func insertVersion(_ new: NewVersion, actor: String) async throws -> VersionRecord {
        let now = Self.now()
        return try await write { session in
            guard let modelID = try await Self.modelID(session, new.model) else { throw Self.unknownModelForVersion(new) }
            if let existing = try await session.first(
                "SELECT version FROM versions WHERE model_id = \(modelID) AND precedence = \(Self.precedence(new.version))"
            ) {
                throw Self.versionExists(new, existing: try existing.text("version"))
            }
            let lineage = new.lineage
            let prerelease = new.version.prerelease.map(\.description).joined(separator: ".")
            let row = try await session.one("""
                INSERT INTO versions (
                    model_id, version, precedence, major, minor, patch, prerelease, manifest_digest, bundle, signers,
                    description, required_bump, baseline, parent_name, parent_version, parent_precedence,
                    dataset_digest, code_revision, run_url, created_at, created_by)
                VALUES (
                    \(modelID), \(new.version.description), \(Self.precedence(new.version)),
                    \(Int64(clamping: new.version.major)), \(Int64(clamping: new.version.minor)), \(Int64(clamping: new.version.patch)),
                    \(prerelease), \(new.manifestDigest.description), \(new.bundle), \(Self.jsonArray(new.signers)),
                    \(new.descriptionJSON), \(new.requiredBump.map { $0.description.lowercased() }), \(new.baseline?.description),
                    \(lineage.parentName), \(lineage.parentVersion?.description), \(lineage.parentVersion.map(Self.precedence)),
                    \(lineage.dataset?.description), \(lineage.codeRevision), \(lineage.runURL),
                    \(Self.millis(now)), \(actor))
                RETURNING id
                """)
            let versionID = try row.integer("id")
            for (position, file) in new.files.enumerated() {
                do {
                    try await session.execute("""
                        INSERT INTO version_files (version_id, position, path, digest, size)
                        VALUES (\(versionID), \(position), \(file.path), \(file.digest.description), \(file.size))
                        """)
                } catch where [SQLState.uniqueViolation, SQLState.checkViolation].contains(Self.sqlState(error)) {
                    // The whole transaction, the version row included, rolls back.
                    throw Self.badFileList(new, file, cause: error)
                }
            }
            try await self.appendEvent(
                session, .versionCreated, model: new.model, version: new.version, actor: actor, at: now,
                detail: Self.versionCreatedDetail(new)
            )
            return VersionRecord(new, createdAt: now, createdBy: actor)
        }
    }

    public func setYanked(model: String, version: SemanticVersion, yanked: Bool, reason: String?, actor: String) async throws -> VersionRecord {
        let now = Self.now()
        let reason = yanked ? reason : nil
        return try await write { session in
            let precedence = Self.precedence(version)
            guard var record = try await Self.fetchVersions(session, where: "m.name = \(model) AND v.precedence = \(precedence)").first else {
                throw try await Self.unknownVersion(session, model, version)
            }
            if record.yanked == yanked, record.yankReason == reason { return record }
            try await session.execute("""
                UPDATE versions SET yanked = \(yanked), yank_reason = \(reason)
                WHERE precedence = \(precedence) AND model_id = (SELECT id FROM models WHERE name = \(model))
                """)
            record.yanked = yanked
            record.yankReason = reason
            try await self.appendEvent(
                session, yanked ? .versionYanked : .versionUnyanked, model: model, version: record.version, actor: actor, at: now,
                detail: yanked ? ["reason": reason] : [:]
            )
            return record
        }
    }

    public func children(of model: String, _ version: SemanticVersion) async throws -> [VersionRecord] {
        try await read { session in
            try await Self.fetchVersions(session, where: "v.parent_name = \(model) AND v.parent_precedence = \(Self.precedence(version))")
        }
    }

    public func versions(trainedOn dataset: Digest) async throws -> [VersionRecord] {
        try await read { session in try await Self.fetchVersions(session, where: "v.dataset_digest = \(dataset.description)") }
    }

    // MARK: Rows

    /// Versions matching `condition` (over `versions v JOIN models m`, its values bound), files
    /// included, ordered by model name, then SemVer precedence.
    static func fetchVersions(_ session: PostgresSession, where condition: PostgresQuery) async throws -> [VersionRecord] {
        let rows = try await session.rows(PostgresQuery(
            unsafeSQL: "SELECT v.*, m.name AS model_name FROM versions v JOIN models m ON m.id = v.model_id WHERE " + condition.sql,
            binds: condition.binds
        ))
        if rows.isEmpty { return [] }
        let ids = try rows.map { try $0.integer("id") }
        var files: [Int64: [FileEntry]] = [:]
        for row in try await session.rows(
            "SELECT version_id, path, digest, size FROM version_files WHERE version_id = ANY(\(ids)) ORDER BY version_id, position"
        ) {
            files[try row.integer("version_id"), default: []].append(try fileEntry(row))
        }
        return try sortedVersions(rows, files: files)
    }

    /// `.notFound` naming what is missing: the model, or only the version.
    static func unknownVersion(_ session: PostgresSession, _ model: String, _ version: SemanticVersion) async throws -> WardenError {
        guard try await modelID(session, model) != nil else { return unknownModel(model) }
        return unknownVersionOfKnownModel(model, version)
    }
}
