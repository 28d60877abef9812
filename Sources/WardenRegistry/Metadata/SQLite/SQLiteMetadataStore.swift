import Foundation
import GRDB
import Logging
import WardenCore

/// The registry's metadata in one SQLite file (WAL mode), through GRDB.
///
/// Every mutation runs in one write transaction together with the event that
/// records it, so a reader (or a crash) sees both or neither, and event
/// sequences follow commit order. Reads run concurrently with writes on the
/// pool's reader connections.
///
/// ```swift
/// let store = try SQLiteMetadataStore(path: "/var/lib/warden/registry.sqlite")
/// let model = try await store.createModel(name: "fraud", description: "card fraud scorer", tags: ["risk"], actor: "alice")
/// ```
///
/// A call that would change nothing (yanking a yanked version with the same
/// reason, pointing an alias where it already points, revoking a revoked
/// token) writes nothing and records no event.
public final class SQLiteMetadataStore: MetadataStore, MetadataCoding {
    /// The database file.
    public let path: String
    let database: DatabasePool
    let logger: Logger
    /// Appends every event to the Merkle audit log in the event's transaction; nil keeps no audit log.
    public let audit: AuditLog?
    /// Signalled after each committed write: the registry's change stream waits on it.
    public let changeSignal = ChangeSignal()

    /// Opens (creating when missing) the database at `path` and brings its schema up to date.
    /// With `audit`, events not yet in the audit log (from a store opened without one) are appended first.
    /// - Throws: `.ioFailure` when the file cannot be opened or migrated.
    public init(path: String, audit: AuditLog? = nil, logger: Logger = Logger(label: "warden.registry.sqlite")) throws {
        self.path = path
        self.logger = logger
        self.audit = audit
        var configuration = Configuration()
        configuration.label = "warden.metadata"
        configuration.foreignKeysEnabled = true
        // Writers queue behind each other instead of failing at once (another process,
        // such as `warden fsck`, may hold the lock for a moment).
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // WAL's default (NORMAL) may lose the last commits on power loss; an acknowledged
            // publish or alias move must not be lost.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            database = try DatabasePool(path: path, configuration: configuration)
            let migrator = Self.migrator
            let pending = try database.read { db in try migrator.hasCompletedMigrations(db) ? [] : migrator.migrations }
            try migrator.migrate(database)
            if !pending.isEmpty {
                logger.info("metadata schema migrated", metadata: ["path": "\(path)"])
            }
            if let audit {
                let added = try database.write { db in try Self.backfillAudit(db, audit) }
                if added > 0 { logger.notice("appended \(added) earlier event(s) to the audit log") }
            }
        } catch let error as DatabaseError {
            throw WardenError(
                .ioFailure,
                "cannot open the metadata database '\(path)': \(error.message ?? "\(error.resultCode)"); "
                    + "check that its folder exists and is writable, and that the file is a Warden database",
                cause: error
            )
        }
    }

    /// Closes the database's connections. Later calls fail; closing twice is harmless.
    public func close() throws {
        try database.close()
    }

    // MARK: Transactions

    /// Runs `body` in one write transaction; a throw rolls everything back, its event included.
    func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        do {
            let result = try await database.write(body)
            changeSignal.signal()
            return result
        } catch let error as DatabaseError {
            throw Self.translate(error)
        }
    }

    func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await database.read(body)
        } catch let error as DatabaseError {
            throw Self.translate(error)
        }
    }

    /// A database error nobody expected by name: constraint violations become `.conflict`,
    /// everything else `.ioFailure`. The operations check the usual cases first, with clearer words.
    static func translate(_ error: DatabaseError) -> WardenError {
        let detail = error.message ?? "\(error.resultCode)"
        switch error.resultCode {
        case .SQLITE_CONSTRAINT:
            return WardenError(.conflict, "the registry refused the change: \(detail)", cause: error)
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return WardenError(.ioFailure, "the metadata database stayed locked by another process: \(detail); try again", cause: error)
        default:
            return WardenError(.ioFailure, "the metadata database failed: \(detail); run warden fsck if it persists", cause: error)
        }
    }

    // MARK: Events

    /// Appends an event, and its audit log entry, in the caller's transaction and returns its sequence.
    @discardableResult
    func appendEvent(
        _ db: Database, _ kind: RegistryEvent.Kind, model: String?, version: SemanticVersion? = nil, alias: String? = nil,
        actor: String, at: Date, detail: [String: Any?] = [:]
    ) throws -> Int64 {
        try db.execute(
            sql: "INSERT INTO events (kind, model, version, alias, actor, at, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
            arguments: [kind.rawValue, model, version?.description, alias, actor, Self.millis(at), Self.json(detail)]
        )
        let sequence = db.lastInsertedRowID
        if let audit {
            try Self.appendAudit(db, audit, sequence: sequence, entry: Self.auditEntry(
                sequence: sequence, kind: kind.rawValue, model: model, version: version?.description, alias: alias,
                actor: actor, at: Self.millis(at), detail: Self.json(detail)
            ))
        }
        return sequence
    }
}
