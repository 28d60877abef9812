import Foundation
import Synchronization
import WardenCore

/// Where served models come from: the registry in the same process, or a
/// Triton-style repository folder. A source decides which versions of a model
/// should serve, loads them through the `VersionLoader` gate and installs
/// them in the `ModelServer`.
public protocol ModelSource: Sendable {
    /// Loads what should serve at start, then follows changes until the task is cancelled.
    func run() async
    /// (Re)loads a model's versions as the source says they should be served.
    func load(model: String) async throws
    /// Unloads every version of a model; in-flight requests finish first.
    func unload(model: String) async throws
    /// True once the models present at start have been loaded or refused.
    var isReady: Bool { get }
}

/// Runs one sync of a model at a time; a request to sync while one runs makes it run once more after.
///
/// A caller that must see its sync done (a load through the repository API, which answers with
/// the model's state) waits for that next run; others (the event poller) return at once.
final class SyncGate: Sendable {
    private struct Running {
        /// Another run was asked for while this one runs.
        var again = false
        /// Callers waiting for that next run, resumed with its outcome.
        var waiting: [CheckedContinuation<Bool, any Error>] = []
    }
    private let state = Mutex<[String: Running]>([:])

    /// Callers waiting for the next run of `model`'s sync: what a test waits on instead of a sleep.
    func waiters(for model: String) -> Int { state.withLock { $0[model]?.waiting.count ?? 0 } }

    /// Runs `body` for `model`, or, when a sync of `model` is running, has it run once more after
    /// (waiting for that run when `wait` is true).
    func run(_ model: String, wait: Bool = false, _ body: () async throws -> Void) async throws {
        let entered = state.withLock { running in
            if running[model] != nil {
                running[model]?.again = true
                return false
            }
            running[model] = Running()
            return true
        }
        guard entered else {
            guard wait else { return }
            let queued = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Bool, any Error>) in
                let queued = state.withLock { running in
                    guard running[model] != nil else { return false }
                    running[model]?.again = true
                    running[model]?.waiting.append(continuation)
                    return true
                }
                if !queued { continuation.resume(returning: false) }
            }
            // The sync that was running ended before this caller queued: run one now.
            if !queued { try await run(model, wait: true, body) }
            return
        }
        var firstFailure: (any Error)?
        var round: [CheckedContinuation<Bool, any Error>] = []
        var first = true
        while true {
            var failure: (any Error)?
            do { try await body() } catch { failure = error }
            if first { firstFailure = failure }
            first = false
            for waiter in round {
                if let failure { waiter.resume(throwing: failure) } else { waiter.resume(returning: true) }
            }
            let next: [CheckedContinuation<Bool, any Error>]? = state.withLock { running in
                guard let entry = running[model], entry.again else {
                    running[model] = nil
                    return nil
                }
                running[model] = Running()
                return entry.waiting
            }
            guard let next else { break }
            round = next
        }
        if let firstFailure { throw firstFailure }
    }
}

/// A flag set once.
final class ReadyFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}
