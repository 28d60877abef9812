import Foundation
import PostgresNIO
import WardenCore

extension PostgresMetadataStore {
    public func createModel(name: String, description: String, tags: [String], actor: String) async throws -> ModelRecord {
        guard !name.isEmpty else { throw Self.emptyModelName() }
        let now = Self.now()
        let tags = Self.normalizedTags(tags)
        return try await write { session in
            if try await Self.modelID(session, name) != nil { throw Self.modelExists(name) }
            let row = try await session.one("""
                INSERT INTO models (name, description, tags, created_at, updated_at, created_by)
                VALUES (\(name), \(description), \(Self.jsonArray(tags)), \(Self.millis(now)), \(Self.millis(now)), \(actor))
                RETURNING id
                """)
            try await Self.replaceTags(session, modelID: try row.integer("id"), tags)
            try await self.appendEvent(session, .modelCreated, model: name, actor: actor, at: now, detail: ["description": description, "tags": tags])
            return ModelRecord(name: name, description: description, tags: tags, createdAt: now, updatedAt: now, createdBy: actor)
        }
    }

    public func model(named name: String) async throws -> ModelRecord? {
        try await read { session in
            try await session.first("SELECT \(unescaped: Self.modelColumns) FROM models WHERE name = \(name)").map(Self.modelRecord)
        }
    }

    public func listModels(prefix: String?, tag: String?, limit: Int, cursor: String?) async throws -> Page<ModelRecord> {
        if let error = Self.pageLimit(limit) { throw error }
        // The shared clauses, each `?` bound as the next parameter (the name columns are COLLATE "C").
        var query = PostgresQuery.StringInterpolation(literalCapacity: 200, interpolationCount: 5)
        query.appendLiteral("SELECT \(Self.modelColumns) FROM models WHERE TRUE")
        for condition in Self.modelFilter(prefix: prefix, tag: tag, cursor: cursor) {
            let parts = condition.clause.components(separatedBy: "?")
            query.appendLiteral(" AND " + parts[0])
            query.appendInterpolation(condition.value)
            query.appendLiteral(parts.dropFirst().joined())
        }
        query.appendLiteral(" ORDER BY name LIMIT ")
        query.appendInterpolation(limit + 1)
        let finalQuery = PostgresQuery(stringInterpolation: query)
        let rows = try await read { session in try await session.rows(finalQuery).map(Self.modelRecord) }
        return Self.page(of: rows, limit: limit)
    }

    public func updateModel(name: String, description: String?, tags: [String]?, actor: String) async throws -> ModelRecord {
        let now = Self.now()
        let tags = tags.map(Self.normalizedTags)
        return try await write { session in
            guard let row = try await session.first("SELECT id, \(unescaped: Self.modelColumns) FROM models WHERE name = \(name)") else {
                throw Self.unknownModel(name)
            }
            let id = try row.integer("id")
            var model = try Self.modelRecord(row)
            let detail = Self.apply(description: description, tags: tags, to: &model)
            if detail.isEmpty { return model }
            if detail["tags"] != nil { try await Self.replaceTags(session, modelID: id, model.tags) }
            model.updatedAt = now
            try await session.execute("""
                UPDATE models SET description = \(model.description), tags = \(Self.jsonArray(model.tags)), updated_at = \(Self.millis(now))
                WHERE id = \(id)
                """)
            try await self.appendEvent(session, .modelUpdated, model: name, actor: actor, at: now, detail: detail)
            return model
        }
    }

    public func deleteModel(name: String, actor: String) async throws {
        let now = Self.now()
        try await write { session in
            guard let id = try await Self.modelID(session, name) else { throw Self.unknownModel(name) }
            let versions = try await session.one("SELECT COUNT(*) AS count FROM versions WHERE model_id = \(id)").integer("count")
            if versions > 0 { throw Self.modelHasVersions(name, count: Int(versions)) }
            try await session.execute("DELETE FROM models WHERE id = \(id)")
            try await self.appendEvent(session, .modelDeleted, model: name, actor: actor, at: now)
        }
    }

    // MARK: Rows

    static let modelColumns = "name, description, tags, created_at, updated_at, created_by"

    static func modelID(_ session: PostgresSession, _ name: String) async throws -> Int64? {
        try await session.first("SELECT id FROM models WHERE name = \(name)")?.integer("id")
    }

    private static func replaceTags(_ session: PostgresSession, modelID: Int64, _ tags: [String]) async throws {
        try await session.execute("DELETE FROM model_tags WHERE model_id = \(modelID)")
        for tag in tags {
            try await session.execute("INSERT INTO model_tags (tag, model_id) VALUES (\(tag), \(modelID))")
        }
    }
}
