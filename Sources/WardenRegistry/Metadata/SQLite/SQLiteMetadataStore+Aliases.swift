import Foundation
import GRDB
import WardenCore

extension SQLiteMetadataStore {
    public func setAlias(model: String, alias: String, version: SemanticVersion, actor: String) async throws -> AliasMove {
        guard !alias.isEmpty else { throw Self.emptyAliasName() }
        let now = Self.now()
        return try await write { db in
            guard let modelID = try Self.modelID(db, model) else { throw Self.unknownModel(model) }
            guard let target = try Row.fetchOne(
                db, sql: "SELECT id, version FROM versions WHERE model_id = ? AND precedence = ?",
                arguments: [modelID, Self.precedence(version)]
            ) else {
                throw Self.aliasTargetMissing(model: model, alias: alias, version: version)
            }
            let targetID: Int64 = target["id"]
            let to = try Self.decodeVersion(target["version"], column: "versions.version")
            let current = try Self.currentAlias(db, modelID: modelID, alias: alias)
            if current?.versionID == targetID {
                return AliasMove(model: model, alias: alias, from: to, to: to, actor: actor, at: now)
            }
            try db.execute(
                sql: """
                    INSERT INTO aliases (model_id, alias, version_id, updated_at, updated_by) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (model_id, alias) DO UPDATE
                    SET version_id = excluded.version_id, updated_at = excluded.updated_at, updated_by = excluded.updated_by
                    """,
                arguments: [modelID, alias, targetID, Self.millis(now), actor]
            )
            let move = AliasMove(model: model, alias: alias, from: current?.version, to: to, actor: actor, at: now)
            try Self.record(db, move, modelID: modelID, fromID: current?.versionID, toID: targetID)
            try self.appendEvent(
                db, .aliasSet, model: model, version: to, alias: alias, actor: actor, at: now,
                detail: ["from": current?.version.description, "to": to.description]
            )
            return move
        }
    }

    public func alias(model: String, _ alias: String) async throws -> AliasRecord? {
        try await read { db in
            try Self.fetchAliases(db, where: "m.name = ? AND a.alias = ?", [model, alias]).first
        }
    }

    public func aliases(of model: String) async throws -> [AliasRecord] {
        try await read { db in
            try Self.fetchAliases(db, where: "m.name = ?", [model])
        }
    }

    public func deleteAlias(model: String, alias: String, actor: String) async throws -> AliasMove? {
        let now = Self.now()
        return try await write { db in
            guard let modelID = try Self.modelID(db, model) else { throw Self.unknownModel(model) }
            guard let current = try Self.currentAlias(db, modelID: modelID, alias: alias) else { return nil }
            try db.execute(sql: "DELETE FROM aliases WHERE model_id = ? AND alias = ?", arguments: [modelID, alias])
            let move = AliasMove(model: model, alias: alias, from: current.version, to: nil, actor: actor, at: now)
            try Self.record(db, move, modelID: modelID, fromID: current.versionID, toID: nil)
            try self.appendEvent(
                db, .aliasDeleted, model: model, version: current.version, alias: alias, actor: actor, at: now,
                detail: ["from": current.version.description, "to": nil]
            )
            return move
        }
    }

    public func aliasHistory(model: String, alias: String?) async throws -> [AliasMove] {
        try await read { db in
            var sql = """
                SELECT h.alias, f.version AS from_version, t.version AS to_version, h.actor, h.at
                FROM alias_moves h
                JOIN models m ON m.id = h.model_id
                LEFT JOIN versions f ON f.id = h.from_version_id
                LEFT JOIN versions t ON t.id = h.to_version_id
                WHERE m.name = ?
                """
            var arguments: StatementArguments = [model]
            if let alias {
                sql += " AND h.alias = ?"
                arguments += [alias]
            }
            sql += " ORDER BY h.id DESC"
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in try Self.aliasMove(row, model: model) }
        }
    }

    // MARK: Rows

    private static func currentAlias(_ db: Database, modelID: Int64, alias: String) throws -> (versionID: Int64, version: SemanticVersion)? {
        guard let row = try Row.fetchOne(
            db,
            sql: "SELECT a.version_id, v.version FROM aliases a JOIN versions v ON v.id = a.version_id WHERE a.model_id = ? AND a.alias = ?",
            arguments: [modelID, alias]
        ) else { return nil }
        return (row["version_id"], try decodeVersion(row["version"], column: "versions.version"))
    }

    private static func record(_ db: Database, _ move: AliasMove, modelID: Int64, fromID: Int64?, toID: Int64?) throws {
        try db.execute(
            sql: "INSERT INTO alias_moves (model_id, alias, from_version_id, to_version_id, actor, at) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [modelID, move.alias, fromID, toID, move.actor, millis(move.at)]
        )
    }

    private static func fetchAliases(_ db: Database, where condition: String, _ arguments: StatementArguments) throws -> [AliasRecord] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT m.name, a.alias, v.version, a.updated_at, a.updated_by
                FROM aliases a JOIN models m ON m.id = a.model_id JOIN versions v ON v.id = a.version_id
                WHERE \(condition) ORDER BY a.alias
                """,
            arguments: arguments
        ).map(aliasRecord)
    }
}
