import GRDB

/// The database schema, as migrations. A migration, once released, never
/// changes: add a new one ("v2", ...) instead.
///
/// Conventions:
/// - Times are INTEGER milliseconds since 1970 (UTC): exact to store and
///   compare, and `datetime(at / 1000, 'unixepoch')` reads them in the shell.
/// - Digests are text, `sha256:<hex>`; versions are text as published.
/// - Rows that history depends on (models with versions, versions, alias
///   moves) are held by `ON DELETE RESTRICT`; events name models by text so
///   they outlive the models they mention.
extension SQLiteMetadataStore {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: schemaV1)
        }
        migrator.registerMigration("v2-audit") { db in
            try db.execute(sql: schemaV2Audit)
        }
        migrator.registerMigration("v3-rollouts") { db in
            try db.execute(sql: schemaV3Rollouts)
        }
        return migrator
    }

    /// The audit log: one row per event, in tree order, with the checkpoint signed after it,
    /// and the Merkle frontier that lets the next append compute the root in O(log n).
    private static let schemaV2Audit = """
        CREATE TABLE audit_entries (
            leaf_index INTEGER PRIMARY KEY,
            sequence   INTEGER NOT NULL UNIQUE,
            entry      TEXT NOT NULL,
            checkpoint TEXT NOT NULL
        );
        CREATE TABLE audit_state (
            id       INTEGER PRIMARY KEY CHECK (id = 1),
            size     INTEGER NOT NULL,
            frontier TEXT NOT NULL
        );
        """

    /// One rollout per model (the latest), with the controller's state as JSON.
    private static let schemaV3Rollouts = """
        CREATE TABLE rollouts (
            model      TEXT PRIMARY KEY,
            stable     TEXT NOT NULL,
            candidate  TEXT NOT NULL,
            plan       TEXT NOT NULL,
            state      TEXT NOT NULL,
            phase      TEXT NOT NULL,
            weight     INTEGER NOT NULL,
            started_at INTEGER NOT NULL,
            started_by TEXT NOT NULL,
            updated_at INTEGER NOT NULL
        );
        """

    private static let schemaV1 = """
        CREATE TABLE models (
            id          INTEGER PRIMARY KEY,
            name        TEXT NOT NULL UNIQUE,
            description TEXT NOT NULL DEFAULT '',
            -- JSON array in the order given; model_tags indexes it for filtering.
            tags        TEXT NOT NULL DEFAULT '[]',
            created_at  INTEGER NOT NULL,
            updated_at  INTEGER NOT NULL,
            created_by  TEXT NOT NULL
        );

        CREATE TABLE model_tags (
            tag      TEXT NOT NULL,
            model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
            PRIMARY KEY (tag, model_id)
        ) WITHOUT ROWID;
        CREATE INDEX model_tags_by_model ON model_tags(model_id);

        CREATE TABLE versions (
            id                INTEGER PRIMARY KEY,
            model_id          INTEGER NOT NULL REFERENCES models(id) ON DELETE RESTRICT,
            -- As published, build metadata included.
            version           TEXT NOT NULL,
            -- MAJOR.MINOR.PATCH[-PRERELEASE]: what SemVer precedence compares (§10: build
            -- metadata is ignored), so 1.0.0+a and 1.0.0+b are the same version.
            precedence        TEXT NOT NULL,
            -- For reading and ad-hoc queries; clamped to the INTEGER range. Ordering is done in Swift.
            major             INTEGER NOT NULL,
            minor             INTEGER NOT NULL,
            patch             INTEGER NOT NULL,
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
            yanked            INTEGER NOT NULL DEFAULT 0 CHECK (yanked IN (0, 1)),
            yank_reason       TEXT,
            created_at        INTEGER NOT NULL,
            created_by        TEXT NOT NULL,
            UNIQUE (model_id, precedence)
        );
        CREATE INDEX versions_by_parent ON versions(parent_name, parent_precedence);
        CREATE INDEX versions_by_dataset ON versions(dataset_digest);
        CREATE INDEX versions_by_manifest ON versions(manifest_digest);

        CREATE TABLE version_files (
            version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE RESTRICT,
            position   INTEGER NOT NULL,
            path       TEXT NOT NULL,
            digest     TEXT NOT NULL,
            size       INTEGER NOT NULL CHECK (size >= 0),
            PRIMARY KEY (version_id, path)
        ) WITHOUT ROWID;
        -- Which versions hold a blob: for garbage collection and fsck.
        CREATE INDEX version_files_by_digest ON version_files(digest);

        CREATE TABLE aliases (
            model_id   INTEGER NOT NULL REFERENCES models(id) ON DELETE RESTRICT,
            alias      TEXT NOT NULL,
            version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE RESTRICT,
            updated_at INTEGER NOT NULL,
            updated_by TEXT NOT NULL,
            PRIMARY KEY (model_id, alias)
        );
        CREATE INDEX aliases_by_version ON aliases(version_id);

        CREATE TABLE alias_moves (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            model_id        INTEGER NOT NULL REFERENCES models(id) ON DELETE RESTRICT,
            alias           TEXT NOT NULL,
            from_version_id INTEGER REFERENCES versions(id) ON DELETE RESTRICT,
            to_version_id   INTEGER REFERENCES versions(id) ON DELETE RESTRICT,
            actor           TEXT NOT NULL,
            at              INTEGER NOT NULL
        );
        CREATE INDEX alias_moves_by_alias ON alias_moves(model_id, alias);

        CREATE TABLE tokens (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            name        TEXT NOT NULL,
            role        TEXT NOT NULL CHECK (role IN ('reader', 'publisher', 'deployer', 'admin')),
            secret_hash TEXT NOT NULL UNIQUE,
            created_at  INTEGER NOT NULL,
            created_by  TEXT NOT NULL,
            revoked_at  INTEGER
        );

        -- AUTOINCREMENT: a sequence is never reused, even after the newest event is gone.
        -- Writes are serialized and a rolled-back transaction takes its number back,
        -- so sequences follow commit order without gaps.
        CREATE TABLE events (
            sequence INTEGER PRIMARY KEY AUTOINCREMENT,
            kind     TEXT NOT NULL,
            model    TEXT,
            version  TEXT,
            alias    TEXT,
            actor    TEXT NOT NULL,
            at       INTEGER NOT NULL,
            detail   TEXT NOT NULL DEFAULT '{}'
        );
        """
}
