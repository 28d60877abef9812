import Foundation
import WardenCore

/// Aliases: every move goes through `moveAlias`, which keeps the history and writes the
/// event and audit entry with it; the serving side follows the change stream.
extension Registry {
    /// Points `alias` at `version`.
    /// - Throws: `.notFound` for an unknown model or version.
    public func moveAlias(model: String, alias: String, to version: SemanticVersion, actor: String) async throws -> AliasMove {
        try await metadata.setAlias(model: model, alias: alias, version: version, actor: actor)
    }

    /// Removes `alias`; nil when it did not exist.
    public func removeAlias(model: String, alias: String, actor: String) async throws -> AliasMove? {
        try await metadata.deleteAlias(model: model, alias: alias, actor: actor)
    }

    public func alias(model: String, _ alias: String) async throws -> AliasRecord? {
        try await metadata.alias(model: model, alias)
    }

    public func aliases(of model: String) async throws -> [AliasRecord] {
        try await metadata.aliases(of: model)
    }

    /// Moves of one alias, or of all of a model's aliases, newest first.
    public func aliasHistory(model: String, alias: String?) async throws -> [AliasMove] {
        try await metadata.aliasHistory(model: model, alias: alias)
    }
}
