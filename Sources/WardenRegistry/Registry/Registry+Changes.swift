import Foundation
import WardenCore

/// The registry's changes as one stream: every committed event, in commit order, for the
/// serving side and any other follower. SQLite's commits wake it; the PostgreSQL store will
/// wake it from `LISTEN/NOTIFY`. Reading the events table stays the source of truth, so a
/// follower that falls behind (or a notification that is lost) catches up by sequence.
extension Registry {
    /// Events with a sequence above `sequence`, oldest first, at most `limit`.
    public func events(after sequence: Int64, limit: Int) async throws -> [RegistryEvent] {
        try await metadata.events(after: sequence, limit: limit)
    }

    /// The highest event sequence so far, 0 when there are none.
    public func latestEventSequence() async throws -> Int64 {
        try await metadata.latestEventSequence()
    }

    /// Every event after `sequence`, then each new one as it commits, until the consumer stops
    /// iterating or its task is cancelled.
    /// - Parameter recheck: how long to wait for a commit signal before reading the table
    ///   anyway (for writes this process was not told about).
    public func changes(after sequence: Int64, recheck: Duration = .seconds(1)) -> RegistryChanges {
        RegistryChanges(registry: self, start: sequence, recheck: recheck)
    }
}

/// `Registry.changes(after:)`: an async sequence of committed events.
public struct RegistryChanges: AsyncSequence, Sendable {
    public typealias Element = RegistryEvent
    let registry: Registry
    let start: Int64
    let recheck: Duration

    public func makeAsyncIterator() -> Iterator {
        Iterator(registry: registry, cursor: start, recheck: recheck)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let registry: Registry
        var cursor: Int64
        let recheck: Duration
        var buffered: [RegistryEvent] = []

        /// The next event; nil only when the task is cancelled.
        /// - Throws: the store's errors reading the events table.
        public mutating func next() async throws -> RegistryEvent? {
            while buffered.isEmpty {
                if Task.isCancelled { return nil }
                let seen = registry.metadata.changeSignal.generation
                buffered = try await registry.metadata.events(after: cursor, limit: 500)
                if buffered.isEmpty {
                    await registry.metadata.changeSignal.wait(beyond: seen, timeout: recheck)
                }
            }
            let event = buffered.removeFirst()
            cursor = event.sequence
            return event
        }
    }
}
