import Logging
import Synchronization

/// Keeps what the server logs, to check a client's mistake is never logged as a server error.
final class LogRecorder: Sendable {
    struct Entry: Sendable, CustomStringConvertible {
        let level: Logger.Level
        let message: String
        let metadata: String

        var description: String { "[\(level)] \(message) \(metadata)" }
    }

    private let stored = Mutex<[Entry]>([])

    var entries: [Entry] { stored.withLock { $0 } }

    /// Entries at `level` or above.
    func entries(atLeast level: Logger.Level) -> [Entry] {
        entries.filter { $0.level >= level }
    }

    /// A logger that records into this, at every level from `level` up.
    func logger(label: String, level: Logger.Level) -> Logger {
        var logger = Logger(label: label) { _ in Handler(recorder: self) }
        logger.logLevel = level
        return logger
    }

    fileprivate func append(_ entry: Entry) {
        stored.withLock { $0.append(entry) }
    }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            recorder.append(Entry(level: event.level, message: "\(event.message)", metadata: all.map { "\($0)=\($1)" }.sorted().joined(separator: " ")))
        }
    }
}
