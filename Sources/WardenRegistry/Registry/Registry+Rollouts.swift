import Foundation
import WardenCore

/// Rollouts' stored state: the plan, the controller's state and every transition as an event.
extension Registry {
    /// - Throws: `.conflict` while another rollout of the model is progressing or paused;
    ///   `.notFound` for an unknown model or version.
    public func startRollout(_ record: RolloutRecord, actor: String) async throws -> RolloutRecord {
        try await metadata.startRollout(record, actor: actor)
    }

    /// Saves a rollout's new phase, weight and state, with the event that says what happened.
    public func updateRollout(model: String, phase: String, weight: Int, state: String, event: RegistryEvent.Kind, detail: [String: String], actor: String) async throws -> RolloutRecord {
        try await metadata.updateRollout(model: model, phase: phase, weight: weight, state: state, event: event, detail: detail, actor: actor)
    }

    public func rollout(model: String) async throws -> RolloutRecord? {
        try await metadata.rollout(model: model)
    }

    /// Every rollout that is progressing or paused.
    public func activeRollouts() async throws -> [RolloutRecord] {
        try await metadata.activeRollouts()
    }

    /// Records that a server refused to load `model` at `version`, and why.
    public func recordLoadRefusal(model: String, version: String, reason: String, actor: String) async throws {
        try await metadata.recordLoadRefusal(model: model, version: version, reason: reason, actor: actor)
    }
}
