import Foundation
import Logging
import PostgresNIO
import WardenCore

/// The database schema, as numbered migrations recorded in `schema_migrations`. A migration,
/// once released, never changes: add a new one instead.
///
/// The tables are SQLite's (see `SQLiteMetadataStore+Schema.swift`), with the same conventions:
/// times are BIGINT milliseconds since 1970, digests and versions text. Names that listings
/// order or compare by range are `COLLATE "C"`, byte order, as in SQLite, whatever the
/// database's locale. `log_head` is the one row every write transaction locks first.
extension PostgresMetadataStore {
    struct Migration: Sendable {
        let version: Int
        let name: String
        /// Constant SQL, statements separated by `;` at the end of a line.
        let sql: String

        var statements: [String] {
            sql.components(separatedBy: ";\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        }
    }

    /// Any number that no other application's advisory lock on this database uses for this.
    static let migrationLockKey: Int64 = 0x5741_5244_454E_0001  // "WARDEN" 1

    static let migrations: [Migration] = [
        Migration(version: 1, name: "registry", sql: schemaV1),
        Migration(version: 2, name: "audit", sql: schemaV2Audit),
        Migration(version: 3, name: "rollouts", sql: schemaV3Rollouts),
    ]

    /// Applies the migrations not yet recorded, in order, each in its own transaction, while
    /// holding an advisory lock, so two processes opening one new database do not both migrate.
    static func migrate(_ connection: PostgresConnection, location: PostgresLocation, logger: Logger) async throws {
        let session = PostgresSession(connection: connection, logger: logger)
        try await session.execute("SELECT pg_advisory_lock(\(migrationLockKey))")
        do {
            try await session.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    INTEGER PRIMARY KEY,
                    name       TEXT NOT NULL,
                    applied_at BIGINT NOT NULL
                )
                """)
            let applied = Set(try await session.rows("SELECT version FROM schema_migrations").map { try $0.integer("version") })
            if let newest = applied.max(), newest > migrations.count {
                throw newerSchema(location: location, found: Int(newest), known: migrations.count)
            }
            for migration in migrations where !applied.contains(Int64(migration.version)) {
                try await inTransaction(connection, logger: logger) { session in
                    // One statement at a time: the extended query protocol takes one per query.
                    for statement in migration.statements {
                        try await session.execute(PostgresQuery(unsafeSQL: statement))
                    }
                    try await session.execute("""
                        INSERT INTO schema_migrations (version, name, applied_at)
                        VALUES (\(migration.version), \(migration.name), \(millis(now())))
                        """)
                }
                logger.info("metadata schema migrated", metadata: ["database": "\(location)/\(location.database)", "version": "\(migration.version)"])
            }
        } catch {
            try? await session.execute("SELECT pg_advisory_unlock(\(migrationLockKey))")
            throw error
        }
        try await session.execute("SELECT pg_advisory_unlock(\(migrationLockKey))")
    }

    static func newerSchema(location: PostgresLocation, found: Int, known: Int) -> WardenError {
        WardenError(
            .ioFailure,
            "the metadata database \(location.database) at \(location) has schema version \(found), newer than this warden knows (\(known)); upgrade warden"
        )
    }

    private static let schemaV1 = """
        CREATE TABLE models (
            id          BIGSERIAL PRIMARY KEY,
            name        TEXT COLLATE "C" NOT NULL UNIQUE,
            description TEXT NOT NULL DEFAULT '',
            tags        TEXT NOT NULL DEFAULT '[]',
            created_at  BIGINT NOT NULL,
            updated_at  BIGINT NOT NULL,
            created_by  TEXT NOT NULL
        );

        CREATE TABLE model_tags (
            tag      TEXT COLLATE "C" NOT NULL,
            model_id BIGINT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
            PRIMARY KEY (tag, model_id)
        );
        CREATE INDEX model_tags_by_model ON model_tags(model_id);

        CREATE TABLE versions (
            id                BIGSERIAL PRIMARY KEY,
            model_id          BIGINT NOT NULL REFERENCES models(id) ON DELETE RESTRICT,
            version           TEXT NOT NULL,
            precedence        TEXT NOT NULL,
            major             BIGINT NOT NULL,
            minor             BIGINT NOT NULL,
            patch             BIGINT NOT NULL,
            prerelease        TEXT NOT NULL DEFAULT '',
            manifest_digest   TEXT NOT NULL,
            bundle            TEXT,
            signers           TEXT NOT NULL DEFAULT '[]',
            description       TEXT NOT NULL,
            required_bump     TEXT CHECK (required_bump IN ('none', 'patch', 'minor', 'major')),
            baseline          TEXT,
            parent_name       TEXT,
            parent_version    TEXT,
            parent_precedence TEXT,
            dataset_digest    TEXT,
            code_revision     TEXT,
            run_url           TEXT,
            yanked            BOOLEAN NOT NULL DEFAULT FALSE,
            yank_reason       TEXT,
            created_at        BIGINT NOT NULL,
            created_by        TEXT NOT NULL,
            UNIQUE (model_id, precedence)
        );
        CREATE INDEX versions_by_parent ON versions(parent_name, parent_precedence);
        CREATE INDEX versions_by_dataset ON versions(dataset_digest);
        CREATE INDEX versions_by_manifest ON versions(manifest_digest);

        CREATE TABLE version_files (
            version_id BIGINT NOT NULL REFERENCES versions(id) ON DELETE RESTRICT,
            position   INTEGER NOT NULL,
            path       TEXT NOT NULL,
            digest     TEXT NOT NULL,
            size       BIGINT NOT NULL CHECK (size >= 0),
            PRIMARY KEY (version_id, path)
        );
        CREATE INDEX version_files_by_digest ON version_files(digest);

        CREATE TABLE aliases (
            model_id   BIGINT NOT NULL REFERENCES models(id) ON DELETE RESTRICT,
            alias      TEXT COLLATE "C" NOT NULL,
            version_id BIGINT NOT NULL REFERENCES versions(id) ON DELETE RESTRICT,
            updated_at BIGINT NOT NULL,
            updated_by TEXT NOT NULL,
            PRIMARY KEY (model_id, alias)
        );
        CREATE INDEX aliases_by_version ON aliases(version_id);

        CREATE TABLE alias_moves (
            id              BIGSERIAL PRIMARY KEY,
            model_id        BIGINT NOT NULL REFERENCES models(id) ON DELETE RESTRICT,
            alias           TEXT NOT NULL,
            from_version_id BIGINT REFERENCES versions(id) ON DELETE RESTRICT,
            to_version_id   BIGINT REFERENCES versions(id) ON DELETE RESTRICT,
            actor           TEXT NOT NULL,
            at              BIGINT NOT NULL
        );
        CREATE INDEX alias_moves_by_alias ON alias_moves(model_id, alias);

        CREATE TABLE tokens (
            id          BIGSERIAL PRIMARY KEY,
            name        TEXT NOT NULL,
            role        TEXT NOT NULL CHECK (role IN ('reader', 'publisher', 'deployer', 'admin')),
            secret_hash TEXT NOT NULL UNIQUE,
            created_at  BIGINT NOT NULL,
            created_by  TEXT NOT NULL,
            revoked_at  BIGINT
        );

        -- Sequences come from log_head, not a SEQUENCE: a SEQUENCE hands out numbers before
        -- commit, so two writers could commit out of order and a reader skip an event.
        CREATE TABLE events (
            sequence BIGINT PRIMARY KEY,
            kind     TEXT NOT NULL,
            model    TEXT,
            version  TEXT,
            alias    TEXT,
            actor    TEXT NOT NULL,
            at       BIGINT NOT NULL,
            detail   TEXT NOT NULL DEFAULT '{}'
        );

        -- The one row every write transaction locks first (SELECT ... FOR UPDATE): writers,
        -- in any process, queue behind it, so sequences follow commit order without gaps.
        CREATE TABLE log_head (
            id            INTEGER PRIMARY KEY CHECK (id = 1),
            last_sequence BIGINT NOT NULL
        );
        INSERT INTO log_head (id, last_sequence) VALUES (1, 0);
        """

    /// The audit log: one row per event in tree order with the checkpoint signed after it, and
    /// the Merkle frontier. Appends happen under the log head's lock, so the tree is one log.
    private static let schemaV2Audit = """
        CREATE TABLE audit_entries (
            leaf_index BIGINT PRIMARY KEY,
            sequence   BIGINT NOT NULL UNIQUE,
            entry      TEXT NOT NULL,
            checkpoint TEXT NOT NULL
        );
        CREATE TABLE audit_state (
            id       INTEGER PRIMARY KEY CHECK (id = 1),
            size     BIGINT NOT NULL,
            frontier TEXT NOT NULL
        );
        """

    private static let schemaV3Rollouts = """
        CREATE TABLE rollouts (
            model      TEXT COLLATE "C" PRIMARY KEY,
            stable     TEXT NOT NULL,
            candidate  TEXT NOT NULL,
            plan       TEXT NOT NULL,
            state      TEXT NOT NULL,
            phase      TEXT NOT NULL,
            weight     BIGINT NOT NULL,
            started_at BIGINT NOT NULL,
            started_by TEXT NOT NULL,
            updated_at BIGINT NOT NULL
        );
        """
}
