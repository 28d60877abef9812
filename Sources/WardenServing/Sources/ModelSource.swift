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
final class SyncGate: Sendable {
    private let state = Mutex<[String: Bool]>([:])  // model -> another sync was requested meanwhile

    /// - Returns: false when a sync of `model` is running (it will run again).
    func enter(_ model: String) -> Bool {
        state.withLock { running in
            if running[model] != nil {
                running[model] = true
                return false
            }
            running[model] = false
            return true
        }
    }

    /// - Returns: true when the caller should sync again (someone asked meanwhile).
    func leave(_ model: String) -> Bool {
        state.withLock { running in
            if running[model] == true {
                running[model] = false
                return true
            }
            running[model] = nil
            return false
        }
    }

    func run(_ model: String, _ body: () async throws -> Void) async throws {
        guard enter(model) else { return }
        repeat {
            do {
                try await body()
            } catch {
                _ = leave(model)
                throw error
            }
        } while leave(model)
    }
}

/// A flag set once.
final class ReadyFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}
