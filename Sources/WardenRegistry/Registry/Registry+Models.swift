import Foundation
import WardenCore

/// Models: the registry's door to them. Each change writes its record, event and audit
/// entry in one transaction (the store's contract).
extension Registry {
    /// - Throws: `.invalidArgument` for a bad name; `.conflict` when the name is taken.
    public func createModel(name: String, description: String, tags: [String], actor: String) async throws -> ModelRecord {
        try ModelReference.validateName(name)
        return try await metadata.createModel(name: name, description: description, tags: tags, actor: actor)
    }

    public func model(named name: String) async throws -> ModelRecord? {
        try await metadata.model(named: name)
    }

    /// Models by name, optionally those whose name starts with `prefix` and that carry `tag`.
    public func listModels(prefix: String?, tag: String?, limit: Int, cursor: String?) async throws -> Page<ModelRecord> {
        try await metadata.listModels(prefix: prefix, tag: tag, limit: limit, cursor: cursor)
    }

    /// Changes the description and/or the tags (nil leaves a field as it is).
    /// - Throws: `.notFound`.
    public func updateModel(name: String, description: String?, tags: [String]?, actor: String) async throws -> ModelRecord {
        try await metadata.updateModel(name: name, description: description, tags: tags, actor: actor)
    }

    /// - Throws: `.notFound`; `.conflict` when the model has versions.
    public func deleteModel(name: String, actor: String) async throws {
        try await metadata.deleteModel(name: name, actor: actor)
    }
}
