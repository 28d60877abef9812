import Foundation
import Logging
import PostgresNIO
import Synchronization
import WardenCore

/// The registry's metadata in a PostgreSQL database, shared by any number of
/// `warden serve` processes, through postgres-nio's connection pool.
///
/// Every mutation runs in one transaction with its event, its audit leaf and the
/// checkpoint signed after it. Writes are serialised in the database: each write
/// transaction first locks the single `log_head` row (`SELECT ... FOR UPDATE`), so event
/// sequences follow commit order without gaps and the audit log stays one Merkle tree
/// whichever process appends. Each write also sends `NOTIFY warden_changes`, delivered
/// at commit; every store `LISTEN`s on a connection of its own and signals its
/// `changeSignal`, so a change made by another process wakes this one's followers.
///
/// ```swift
/// let store = try await PostgresMetadataStore(url: "postgres://warden:secret@127.0.0.1:5432/warden", audit: log)
/// let model = try await store.createModel(name: "fraud", description: "", tags: [], actor: "alice")
/// await store.close()
/// ```
///
/// Messages and conflicts are those of `SQLiteMetadataStore`: the same test suite runs against both.
public final class PostgresMetadataStore: MetadataStore, MetadataCoding {
    /// The server and database, without the password.
    public let location: PostgresLocation
    let client: PostgresClient
    let logger: Logger
    /// Appends every event to the Merkle audit log in the event's transaction; nil keeps no audit log.
    public let audit: AuditLog?
    /// Signalled after each write this store commits, and on every `NOTIFY warden_changes`.
    public let changeSignal = ChangeSignal()
    let listener: PostgresChangeListener
    private let tasks: Mutex<[Task<Void, Never>]>

    /// The channel every write notifies at commit.
    static let channel = "warden_changes"

    /// Opens the database at `url`, brings its schema up to date and starts listening for changes.
    /// - Throws: `.invalidArgument` for a URL that is not a PostgreSQL URL; `.ioFailure` naming
    ///   the server when it cannot be reached, refuses the credentials, or lacks the database.
    public convenience init(url: String, audit: AuditLog? = nil, logger: Logger = Logger(label: "warden.registry.postgres")) async throws {
        try await self.init(location: try PostgresLocation(url: url), audit: audit, logger: logger)
    }

    /// Opens the database at `location` (see `init(url:audit:logger:)`).
    public init(location: PostgresLocation, audit: AuditLog? = nil, logger: Logger = Logger(label: "warden.registry.postgres")) async throws {
        self.location = location
        self.audit = audit
        self.logger = logger
        // One connection first: a wrong password or an unreachable server is one clear error here,
        // not a pool that retries in the background. It migrates, then goes.
        let connection = try await Self.connect(location, logger: logger)
        do {
            try await Self.migrate(connection, location: location, logger: logger)
            if let audit {
                let added = try await Self.inTransaction(connection, logger: logger) { session in
                    try await Self.backfillAudit(session, audit)
                }
                if added > 0 { logger.notice("appended \(added) earlier event(s) to the audit log") }
            }
        } catch {
            try? await connection.close()
            throw Self.translate(error, location: location)
        }
        try? await connection.close()

        client = PostgresClient(configuration: location.clientConfiguration, backgroundLogger: logger)
        listener = PostgresChangeListener(location: location, channel: Self.channel, signal: changeSignal, logger: logger)
        let client = self.client
        let listener = self.listener
        tasks = Mutex([Task { await client.run() }, Task { await listener.run() }])
        // Changes made by others are seen from here on: the first LISTEN is in place before this returns.
        do {
            try await listener.waitUntilListening(timeout: .seconds(10))
        } catch {
            await close()
            throw Self.translate(error, location: location)
        }
    }

    /// Stops listening and closes every connection. Later calls fail; closing twice is harmless.
    public func close() async {
        let running = tasks.withLock { tasks in
            defer { tasks.removeAll() }
            return tasks
        }
        listener.stop()
        for task in running {
            task.cancel()
            await task.value
        }
    }

    // MARK: Transactions

    /// Runs `body` in one transaction that holds the log head: writers queue behind each other,
    /// across processes. A throw rolls everything back, its event and audit leaf included.
    func write<T: Sendable>(_ body: @Sendable (PostgresSession) async throws -> T) async throws -> T {
        let logger = self.logger
        let result = try await withClient { client in
            try await client.withConnection { connection in
                try await Self.inTransaction(connection, logger: logger) { session in
                    try await session.execute("SELECT last_sequence FROM log_head WHERE id = 1 FOR UPDATE")
                    let value = try await body(session)
                    // Delivered to every listener when, and only if, the transaction commits.
                    try await session.execute("SELECT pg_notify(\(Self.channel), '')")
                    return value
                }
            }
        }
        changeSignal.signal()
        return result
    }

    func read<T: Sendable>(_ body: @Sendable (PostgresSession) async throws -> T) async throws -> T {
        let logger = self.logger
        return try await withClient { client in
            try await client.withConnection { connection in
                try await body(PostgresSession(connection: connection, logger: logger))
            }
        }
    }

    private func withClient<T: Sendable>(_ body: (PostgresClient) async throws -> T) async throws -> T {
        do {
            return try await body(client)
        } catch {
            throw Self.translate(error, location: location)
        }
    }

    /// BEGIN, `body`, COMMIT; ROLLBACK when `body` throws, and the error as it was.
    static func inTransaction<T: Sendable>(
        _ connection: PostgresConnection, logger: Logger, _ body: (PostgresSession) async throws -> T
    ) async throws -> T {
        let session = PostgresSession(connection: connection, logger: logger)
        try await session.execute("BEGIN")
        do {
            let value = try await body(session)
            try await session.execute("COMMIT")
            return value
        } catch {
            try? await session.execute("ROLLBACK")
            throw error
        }
    }

    static func connect(_ location: PostgresLocation, logger: Logger) async throws -> PostgresConnection {
        do {
            return try await PostgresConnection.connect(configuration: try location.connectionConfiguration(), id: 0, logger: logger)
        } catch {
            throw translate(error, location: location)
        }
    }

    // MARK: Events

    /// Appends an event, and its audit log entry, in the caller's transaction and returns its sequence.
    /// The caller's transaction holds the log head (see `write(_:)`), so the next sequence is free.
    @discardableResult
    func appendEvent(
        _ session: PostgresSession, _ kind: RegistryEvent.Kind, model: String?, version: SemanticVersion? = nil, alias: String? = nil,
        actor: String, at: Date, detail: [String: Any?] = [:]
    ) async throws -> Int64 {
        let detailJSON = Self.json(detail)
        let sequence = try await Self.insertEvent(
            session, kind: kind.rawValue, model: model, version: version?.description, alias: alias,
            actor: actor, at: Self.millis(at), detail: detailJSON
        )
        if let audit {
            try await Self.appendAudit(session, audit, sequence: sequence, entry: Self.auditEntry(
                sequence: sequence, kind: kind.rawValue, model: model, version: version?.description, alias: alias,
                actor: actor, at: Self.millis(at), detail: detailJSON
            ))
        }
        return sequence
    }

    static func insertEvent(
        _ session: PostgresSession, kind: String, model: String?, version: String?, alias: String?, actor: String, at: Int64, detail: String
    ) async throws -> Int64 {
        let row = try await session.one("UPDATE log_head SET last_sequence = last_sequence + 1 WHERE id = 1 RETURNING last_sequence")
        let sequence = try row.integer("last_sequence")
        try await session.execute("""
            INSERT INTO events (sequence, kind, model, version, alias, actor, at, detail)
            VALUES (\(sequence), \(kind), \(model), \(version), \(alias), \(actor), \(at), \(detail))
            """)
        return sequence
    }
}
