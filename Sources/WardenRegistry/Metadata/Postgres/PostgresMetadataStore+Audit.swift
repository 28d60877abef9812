import Foundation
import PostgresNIO
import WardenCore

extension PostgresMetadataStore {
    /// Appends one leaf and signs the checkpoint for the new size, in the caller's transaction,
    /// which holds the log head: no other process appends in between.
    static func appendAudit(_ session: PostgresSession, _ audit: AuditLog, sequence: Int64, entry: String) async throws {
        let frontier = try await session.first("SELECT frontier FROM audit_state WHERE id = 1")?.text("frontier")
        let leaf = try audit.append(entry: entry, after: frontier)
        try await session.execute("""
            INSERT INTO audit_entries (leaf_index, sequence, entry, checkpoint)
            VALUES (\(leaf.index), \(sequence), \(entry), \(leaf.checkpoint))
            """)
        try await session.execute("""
            INSERT INTO audit_state (id, size, frontier) VALUES (1, \(leaf.size), \(leaf.frontier))
            ON CONFLICT (id) DO UPDATE SET size = excluded.size, frontier = excluded.frontier
            """)
    }

    /// Appends the events that have no audit entry yet (recorded while no audit key was configured).
    static func backfillAudit(_ session: PostgresSession, _ audit: AuditLog) async throws -> Int {
        try await session.execute("SELECT last_sequence FROM log_head WHERE id = 1 FOR UPDATE")
        let last = try await session.one("SELECT COALESCE(MAX(sequence), 0) AS last FROM audit_entries").integer("last")
        let rows = try await session.rows("SELECT * FROM events WHERE sequence > \(last) ORDER BY sequence")
        for row in rows {
            try await appendAudit(session, audit, sequence: try row.integer("sequence"), entry: auditEntry(ofEventRow: row))
        }
        return rows.count
    }

    /// Every audit entry in tree order, as stored (for verification, which trusts none of it).
    public func auditEntries() async throws -> [AuditEntry] {
        try await read { session in
            try await session.rows("SELECT leaf_index, sequence, entry, checkpoint FROM audit_entries ORDER BY leaf_index").map(Self.auditRecord)
        }
    }

    /// The size the audit state says the tree has (nil before the first entry).
    public func auditStateSize() async throws -> Int? {
        try await read { session in
            try await session.first("SELECT size FROM audit_state WHERE id = 1").map { Int(try $0.integer("size")) }
        }
    }

    public func recordLoadRefusal(model: String, version: String, reason: String, actor: String) async throws {
        let now = Self.now()
        try await write { session in
            try await self.appendEvent(
                session, .modelLoadRefused, model: model, version: SemanticVersion(version), actor: actor, at: now,
                detail: ["version": version, "reason": reason]
            )
        }
    }
}
