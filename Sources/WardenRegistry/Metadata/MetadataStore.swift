import Foundation
import WardenCore

/// Where the registry keeps everything but blobs: models, versions, aliases
/// and their history, lineage, tokens and the event log.
///
/// Every mutation and its event commit in one transaction: a reader sees
/// both or neither. Implementations: `SQLiteMetadataStore` now; PostgreSQL
/// later, run against the same test suite.
///
/// Errors are `WardenError`s: `.notFound`, `.conflict` (an existing name or
/// version, a model that still has versions), `.invalidArgument`.
public protocol MetadataStore: Sendable {
    // MARK: Models

    /// - Throws: `.conflict` when the name is taken.
    func createModel(name: String, description: String, tags: [String], actor: String) async throws -> ModelRecord
    func model(named name: String) async throws -> ModelRecord?
    /// Models by name, optionally those whose name starts with `prefix` and that carry `tag`;
    /// `limit` per page, continuing after `cursor`.
    func listModels(prefix: String?, tag: String?, limit: Int, cursor: String?) async throws -> Page<ModelRecord>
    /// Changes the description and/or the tags (nil leaves a field as it is).
    /// - Throws: `.notFound`.
    func updateModel(name: String, description: String?, tags: [String]?, actor: String) async throws -> ModelRecord
    /// - Throws: `.notFound`; `.conflict` when the model has versions.
    func deleteModel(name: String, actor: String) async throws

    // MARK: Versions

    /// Every version of `model`, in SemVer order (lowest first).
    func versions(of model: String) async throws -> [VersionRecord]
    func version(of model: String, _ version: SemanticVersion) async throws -> VersionRecord?
    /// Records a new version and its `version.created` event.
    /// - Throws: `.notFound` for an unknown model; `.conflict` when the version exists.
    func insertVersion(_ new: NewVersion, actor: String) async throws -> VersionRecord
    /// Yanks or un-yanks a version and records the event.
    /// - Throws: `.notFound`.
    func setYanked(model: String, version: SemanticVersion, yanked: Bool, reason: String?, actor: String) async throws -> VersionRecord
    /// Versions whose lineage names `model@version` as their parent.
    func children(of model: String, _ version: SemanticVersion) async throws -> [VersionRecord]
    /// Versions whose lineage names this dataset digest.
    func versions(trainedOn dataset: Digest) async throws -> [VersionRecord]

    // MARK: Aliases

    /// Points `alias` at `version`, keeps the move in the history and records the event.
    /// - Throws: `.notFound` for an unknown model or version.
    func setAlias(model: String, alias: String, version: SemanticVersion, actor: String) async throws -> AliasMove
    func alias(model: String, _ alias: String) async throws -> AliasRecord?
    func aliases(of model: String) async throws -> [AliasRecord]
    /// Removes `alias`; nil when it did not exist.
    func deleteAlias(model: String, alias: String, actor: String) async throws -> AliasMove?
    /// Moves of one alias, or of all of a model's aliases, newest first.
    func aliasHistory(model: String, alias: String?) async throws -> [AliasMove]

    // MARK: Tokens

    func createToken(name: String, role: Role, secretHash: Digest, actor: String) async throws -> TokenRecord
    func token(secretHash: Digest) async throws -> TokenRecord?
    func tokens() async throws -> [TokenRecord]
    /// - Throws: `.notFound`.
    func revokeToken(id: Int64, actor: String) async throws -> TokenRecord

    // MARK: Serving

    /// Records that a server refused to load `model` at `version` (a registry SemVer or a
    /// repository folder name), and why: an event, and so an audit entry.
    func recordLoadRefusal(model: String, version: String, reason: String, actor: String) async throws

    // MARK: Rollouts

    /// Starts a rollout of `record.model` and records `rollout.started`.
    /// - Throws: `.conflict` while another rollout of the model is progressing or paused;
    ///   `.notFound` for an unknown model or version.
    func startRollout(_ record: RolloutRecord, actor: String) async throws -> RolloutRecord
    /// Saves a rollout's new phase, weight and state, with the event that says what happened.
    /// - Throws: `.notFound` when the model has no rollout.
    func updateRollout(model: String, phase: String, weight: Int, state: String, event: RegistryEvent.Kind, detail: [String: String], actor: String) async throws -> RolloutRecord
    func rollout(model: String) async throws -> RolloutRecord?
    /// Every rollout that is progressing or paused.
    func activeRollouts() async throws -> [RolloutRecord]

    // MARK: Events

    /// Events with a sequence above `sequence`, oldest first, at most `limit`.
    func events(after sequence: Int64, limit: Int) async throws -> [RegistryEvent]
    /// The highest sequence so far, 0 when there are none.
    func latestEventSequence() async throws -> Int64
    /// Signalled after every committed change, so followers of the events table wake at once.
    var changeSignal: ChangeSignal { get }
}
