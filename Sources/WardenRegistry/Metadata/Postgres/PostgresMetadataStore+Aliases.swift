import Foundation
import PostgresNIO
import WardenCore

extension PostgresMetadataStore {
    public func setAlias(model: String, alias: String, version: SemanticVersion, actor: String) async throws -> AliasMove {
        guard !alias.isEmpty else { throw Self.emptyAliasName() }
        let now = Self.now()
        return try await write { session in
            guard let modelID = try await Self.modelID(session, model) else { throw Self.unknownModel(model) }
            guard let target = try await session.first(
                "SELECT id, version FROM versions WHERE model_id = \(modelID) AND precedence = \(Self.precedence(version))"
            ) else {
                throw Self.aliasTargetMissing(model: model, alias: alias, version: version)
            }
            let targetID = try target.integer("id")
            let to = try Self.decodeVersion(try target.text("version"), column: "versions.version")
            let current = try await Self.currentAlias(session, modelID: modelID, alias: alias)
            if current?.versionID == targetID {
                return AliasMove(model: model, alias: alias, from: to, to: to, actor: actor, at: now)
            }
            try await session.execute("""
                INSERT INTO aliases (model_id, alias, version_id, updated_at, updated_by)
                VALUES (\(modelID), \(alias), \(targetID), \(Self.millis(now)), \(actor))
                ON CONFLICT (model_id, alias) DO UPDATE
                SET version_id = excluded.version_id, updated_at = excluded.updated_at, updated_by = excluded.updated_by
                """)
            let move = AliasMove(model: model, alias: alias, from: current?.version, to: to, actor: actor, at: now)
            try await Self.record(session, move, modelID: modelID, fromID: current?.versionID, toID: targetID)
            try await self.appendEvent(
                session, .aliasSet, model: model, version: to, alias: alias, actor: actor, at: now,
                detail: ["from": current?.version.description, "to": to.description]
            )
            return move
        }
    }

    public func alias(model: String, _ alias: String) async throws -> AliasRecord? {
        try await read { session in try await Self.fetchAliases(session, where: "m.name = \(model) AND a.alias = \(alias)").first }
    }

    public func aliases(of model: String) async throws -> [AliasRecord] {
        try await read { session in try await Self.fetchAliases(session, where: "m.name = \(model)") }
    }

    public func deleteAlias(model: String, alias: String, actor: String) async throws -> AliasMove? {
        let now = Self.now()
        return try await write { session in
            guard let modelID = try await Self.modelID(session, model) else { throw Self.unknownModel(model) }
            guard let current = try await Self.currentAlias(session, modelID: modelID, alias: alias) else { return nil }
            try await session.execute("DELETE FROM aliases WHERE model_id = \(modelID) AND alias = \(alias)")
            let move = AliasMove(model: model, alias: alias, from: current.version, to: nil, actor: actor, at: now)
            try await Self.record(session, move, modelID: modelID, fromID: current.versionID, toID: nil)
            try await self.appendEvent(
                session, .aliasDeleted, model: model, version: current.version, alias: alias, actor: actor, at: now,
                detail: ["from": current.version.description, "to": nil]
            )
            return move
        }
    }

    public func aliasHistory(model: String, alias: String?) async throws -> [AliasMove] {
        try await read { session in
            var query = PostgresQuery.StringInterpolation(literalCapacity: 300, interpolationCount: 2)
            query.appendLiteral("""
                SELECT h.alias, f.version AS from_version, t.version AS to_version, h.actor, h.at
                FROM alias_moves h
                JOIN models m ON m.id = h.model_id
                LEFT JOIN versions f ON f.id = h.from_version_id
                LEFT JOIN versions t ON t.id = h.to_version_id
                WHERE m.name = 
                """)
            query.appendInterpolation(model)
            if let alias {
                query.appendLiteral(" AND h.alias = ")
                query.appendInterpolation(alias)
            }
            query.appendLiteral(" ORDER BY h.id DESC")
            return try await session.rows(PostgresQuery(stringInterpolation: query)).map { row in try Self.aliasMove(row, model: model) }
        }
    }

    // MARK: Rows

    private static func currentAlias(_ session: PostgresSession, modelID: Int64, alias: String) async throws -> (versionID: Int64, version: SemanticVersion)? {
        guard let row = try await session.first("""
            SELECT a.version_id, v.version FROM aliases a JOIN versions v ON v.id = a.version_id
            WHERE a.model_id = \(modelID) AND a.alias = \(alias)
            """) else { return nil }
        return (try row.integer("version_id"), try decodeVersion(try row.text("version"), column: "versions.version"))
    }

    private static func record(_ session: PostgresSession, _ move: AliasMove, modelID: Int64, fromID: Int64?, toID: Int64?) async throws {
        try await session.execute("""
            INSERT INTO alias_moves (model_id, alias, from_version_id, to_version_id, actor, at)
            VALUES (\(modelID), \(move.alias), \(fromID), \(toID), \(move.actor), \(millis(move.at)))
            """)
    }

    private static func fetchAliases(_ session: PostgresSession, where condition: PostgresQuery) async throws -> [AliasRecord] {
        try await session.rows(PostgresQuery(
            unsafeSQL: """
                SELECT m.name, a.alias, v.version, a.updated_at, a.updated_by
                FROM aliases a JOIN models m ON m.id = a.model_id JOIN versions v ON v.id = a.version_id
                WHERE \(condition.sql) ORDER BY a.alias
                """,
            binds: condition.binds
        )).map(aliasRecord)
    }
}
