import Foundation
import GRDB
import WardenCore

extension SQLiteMetadataStore {
    /// Appends one leaf and signs the checkpoint for the new size, in the caller's transaction.
    static func appendAudit(_ db: Database, _ audit: AuditLog, sequence: Int64, entry: String) throws {
        let frontier = try String.fetchOne(db, sql: "SELECT frontier FROM audit_state WHERE id = 1")
        let leaf = try audit.append(entry: entry, after: frontier)
        try db.execute(
            sql: "INSERT INTO audit_entries (leaf_index, sequence, entry, checkpoint) VALUES (?, ?, ?, ?)",
            arguments: [leaf.index, sequence, entry, leaf.checkpoint]
        )
        try db.execute(
            sql: "INSERT INTO audit_state (id, size, frontier) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET size = excluded.size, frontier = excluded.frontier",
            arguments: [leaf.size, leaf.frontier]
        )
    }

    /// Appends the events that have no audit entry yet (recorded while no audit key was configured).
    static func backfillAudit(_ db: Database, _ audit: AuditLog) throws -> Int {
        let last = try Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM audit_entries") ?? 0
        let rows = try Row.fetchAll(db, sql: "SELECT * FROM events WHERE sequence > ? ORDER BY sequence", arguments: [last])
        for row in rows {
            try appendAudit(db, audit, sequence: try row.integer("sequence"), entry: auditEntry(ofEventRow: row))
        }
        return rows.count
    }

    /// Every audit entry in tree order, as stored (for verification, which trusts none of it).
    public func auditEntries() async throws -> [AuditEntry] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT leaf_index, sequence, entry, checkpoint FROM audit_entries ORDER BY leaf_index").map(Self.auditRecord)
        }
    }

    /// The size the audit state says the tree has (nil before the first entry).
    public func auditStateSize() async throws -> Int? {
        try await read { db in try Int.fetchOne(db, sql: "SELECT size FROM audit_state WHERE id = 1") }
    }
}

extension SQLiteMetadataStore {
    public func recordLoadRefusal(model: String, version: String, reason: String, actor: String) async throws {
        let now = Self.now()
        try await write { db in
            try self.appendEvent(
                db, .modelLoadRefused, model: model, version: SemanticVersion(version), actor: actor, at: now,
                detail: ["version": version, "reason": reason]
            )
        }
    }
}
