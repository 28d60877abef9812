import Foundation
import WardenCore

/// Versions, besides publishing (Registry.swift): reading, yanking and lineage.
extension Registry {
    /// Every version of `model`, in SemVer order (lowest first).
    public func versions(of model: String) async throws -> [VersionRecord] {
        try await metadata.versions(of: model)
    }

    public func version(of model: String, _ version: SemanticVersion) async throws -> VersionRecord? {
        try await metadata.version(of: model, version)
    }

    /// Yanks (or with `yanked: false` un-yanks) a version, with its event.
    /// - Throws: `.notFound`.
    public func setYanked(model: String, version: SemanticVersion, yanked: Bool, reason: String?, actor: String) async throws -> VersionRecord {
        try await metadata.setYanked(model: model, version: version, yanked: yanked, reason: reason, actor: actor)
    }

    /// Versions whose lineage names `model@version` as their parent.
    public func children(of model: String, _ version: SemanticVersion) async throws -> [VersionRecord] {
        try await metadata.children(of: model, version)
    }

    /// Versions whose lineage names this dataset digest.
    public func versions(trainedOn dataset: Digest) async throws -> [VersionRecord] {
        try await metadata.versions(trainedOn: dataset)
    }
}
