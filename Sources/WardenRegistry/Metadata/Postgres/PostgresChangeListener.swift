import Foundation
import Logging
import PostgresNIO
import Synchronization
import WardenCore

/// Keeps one connection `LISTEN`ing on the store's channel and signals the store's
/// `ChangeSignal` on every notification, so writes committed by any process wake this
/// process's change followers at once.
///
/// Notifications are not stored: while the connection is down they are lost. So after each
/// (re)connection it signals once, and the followers read the events table from where they
/// were. A dropped connection is retried with a bounded backoff (0.1 s doubling to 5 s).
final class PostgresChangeListener: Sendable {
    private struct State {
        var connection: PostgresConnection?
        var stopped = false
        var listening = false
        var lastError: (any Error)?
    }

    let location: PostgresLocation
    let channel: String
    let signal: ChangeSignal
    let logger: Logger
    private let state = Mutex(State())

    /// The longest wait between two attempts to reconnect.
    static let maximumBackoff: Duration = .seconds(5)

    init(location: PostgresLocation, channel: String, signal: ChangeSignal, logger: Logger) {
        self.location = location
        self.channel = channel
        self.signal = signal
        self.logger = logger
    }

    /// Listens until `stop()` or cancellation, reconnecting when the connection drops.
    func run() async {
        var failures = 0
        while !isStopped {
            do {
                let connection = try await PostgresConnection.connect(configuration: try location.connectionConfiguration(), id: 1, logger: logger)
                guard adopt(connection) else {
                    try? await connection.close()
                    return
                }
                try await connection.listen(on: channel) { notifications in
                    failures = 0
                    markListening()
                    // Whatever was committed while no one listened: followers re-read the events table.
                    signal.signal()
                    for try await _ in notifications {
                        signal.signal()
                    }
                }
            } catch {
                if !isStopped {
                    logger.warning("the PostgreSQL change listener lost its connection; reconnecting", metadata: ["error": "\(String(reflecting: error))"])
                }
                record(error)
            }
            let connection = state.withLock { state -> PostgresConnection? in
                state.listening = false
                defer { state.connection = nil }
                return state.connection
            }
            try? await connection?.close()
            if isStopped || Task.isCancelled { break }
            failures += 1
            let backoff = min(Duration.milliseconds(100) * (1 << min(failures - 1, 10)), Self.maximumBackoff)
            try? await Task.sleep(for: backoff)
        }
    }

    /// Ends `run()`: closes the listening connection, which ends its notification sequence.
    func stop() {
        let connection = state.withLock { state -> PostgresConnection? in
            state.stopped = true
            return state.connection
        }
        connection?.close().whenComplete { _ in }
    }

    /// Returns once the first `LISTEN` is in place (polled every 20 ms: this runs once, at open).
    /// - Throws: the connection error when the first attempt failed, or `.ioFailure` when the
    ///   `LISTEN` is not in place within `timeout`.
    func waitUntilListening(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            let (listening, error) = state.withLock { ($0.listening, $0.lastError) }
            if listening { return }
            if let error { throw error }
            if ContinuousClock.now >= deadline || isStopped {
                throw WardenError(.ioFailure, "PostgreSQL at \(location) did not start listening for changes within \(timeout); check the server's load")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    // MARK: State

    private var isStopped: Bool { state.withLock { $0.stopped } }

    /// Keeps `connection` so `stop()` can close it; false when already stopped.
    private func adopt(_ connection: PostgresConnection) -> Bool {
        state.withLock { state in
            guard !state.stopped else { return false }
            state.connection = connection
            return true
        }
    }

    private func markListening() {
        state.withLock { state in
            state.listening = true
            state.lastError = nil
        }
    }

    private func record(_ error: any Error) {
        state.withLock { $0.lastError = error }
    }
}
