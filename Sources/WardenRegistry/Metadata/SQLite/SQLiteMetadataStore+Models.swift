import Foundation
import GRDB
import WardenCore

extension SQLiteMetadataStore {
    public func createModel(name: String, description: String, tags: [String], actor: String) async throws -> ModelRecord {
        guard !name.isEmpty else { throw Self.emptyModelName() }
        let now = Self.now()
        let tags = Self.normalizedTags(tags)
        return try await write { db in
            if try Self.modelID(db, name) != nil {
                throw Self.modelExists(name)
            }
            try db.execute(
                sql: "INSERT INTO models (name, description, tags, created_at, updated_at, created_by) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [name, description, Self.jsonArray(tags), Self.millis(now), Self.millis(now), actor]
            )
            try Self.replaceTags(db, modelID: db.lastInsertedRowID, tags)
            try self.appendEvent(db, .modelCreated, model: name, actor: actor, at: now, detail: ["description": description, "tags": tags])
            return ModelRecord(name: name, description: description, tags: tags, createdAt: now, updatedAt: now, createdBy: actor)
        }
    }

    public func model(named name: String) async throws -> ModelRecord? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.modelColumns) FROM models WHERE name = ?", arguments: [name]).map(Self.modelRecord)
        }
    }

    public func listModels(prefix: String?, tag: String?, limit: Int, cursor: String?) async throws -> Page<ModelRecord> {
        if let error = Self.pageLimit(limit) { throw error }
        let conditions = Self.modelFilter(prefix: prefix, tag: tag, cursor: cursor)
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.map(\.clause).joined(separator: " AND ")
        let sql = "SELECT \(Self.modelColumns) FROM models \(filter) ORDER BY name LIMIT ?"
        let arguments = StatementArguments(conditions.map(\.value)) + [limit + 1]
        let rows = try await read { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.modelRecord)
        }
        return Self.page(of: rows, limit: limit)
    }

    public func updateModel(name: String, description: String?, tags: [String]?, actor: String) async throws -> ModelRecord {
        let now = Self.now()
        let tags = tags.map(Self.normalizedTags)
        return try await write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT id, \(Self.modelColumns) FROM models WHERE name = ?", arguments: [name]) else {
                throw Self.unknownModel(name)
            }
            let id: Int64 = row["id"]
            var model = try Self.modelRecord(row)
            let detail = Self.apply(description: description, tags: tags, to: &model)
            if detail.isEmpty { return model }
            if detail["tags"] != nil { try Self.replaceTags(db, modelID: id, model.tags) }
            model.updatedAt = now
            try db.execute(
                sql: "UPDATE models SET description = ?, tags = ?, updated_at = ? WHERE id = ?",
                arguments: [model.description, Self.jsonArray(model.tags), Self.millis(now), id]
            )
            try self.appendEvent(db, .modelUpdated, model: name, actor: actor, at: now, detail: detail)
            return model
        }
    }

    public func deleteModel(name: String, actor: String) async throws {
        let now = Self.now()
        try await write { db in
            guard let id = try Self.modelID(db, name) else { throw Self.unknownModel(name) }
            let versions = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM versions WHERE model_id = ?", arguments: [id]) ?? 0
            if versions > 0 { throw Self.modelHasVersions(name, count: versions) }
            try db.execute(sql: "DELETE FROM models WHERE id = ?", arguments: [id])
            try self.appendEvent(db, .modelDeleted, model: name, actor: actor, at: now)
        }
    }

    // MARK: Rows

    static let modelColumns = "name, description, tags, created_at, updated_at, created_by"

    static func modelID(_ db: Database, _ name: String) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT id FROM models WHERE name = ?", arguments: [name])
    }

    private static func replaceTags(_ db: Database, modelID: Int64, _ tags: [String]) throws {
        try db.execute(sql: "DELETE FROM model_tags WHERE model_id = ?", arguments: [modelID])
        for tag in tags {
            try db.execute(sql: "INSERT INTO model_tags (tag, model_id) VALUES (?, ?)", arguments: [tag, modelID])
        }
    }
}
