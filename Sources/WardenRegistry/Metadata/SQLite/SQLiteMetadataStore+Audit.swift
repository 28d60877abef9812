import Foundation
import GRDB
import WardenCore
import WardenIntegrity

extension SQLiteMetadataStore {
    /// The canonical text of an event, which the leaf hash covers: a JSON object with sorted keys.
    static func auditEntry(sequence: Int64, kind: String, model: String?, version: String?, alias: String?, actor: String, at: Int64, detail: String) -> String {
        let detailObject = (try? JSONSerialization.jsonObject(with: Data(detail.utf8))) ?? [String: Any]()
        return json([
            "sequence": sequence, "action": kind, "model": model, "version": version, "alias": alias,
            "actor": actor, "at": at, "detail": detailObject,
        ])
    }

    /// Appends one leaf and signs the checkpoint for the new size, in the caller's transaction.
    static func appendAudit(_ db: Database, _ audit: AuditLog, sequence: Int64, entry: String) throws {
        var range = CompactRange()
        if let text = try String.fetchOne(db, sql: "SELECT frontier FROM audit_state WHERE id = 1") {
            do {
                range = try CompactRange(hex: text)
            } catch {
                throw WardenError(.ioFailure, "audit_state.frontier is damaged (\(error)); run warden audit verify", cause: error)
            }
        }
        let index = range.size
        try range.append(leafHash: MerkleTree.leafHash(Array(entry.utf8)))
        let checkpoint = try audit.checkpoint(size: range.size, root: range.root)
        try db.execute(
            sql: "INSERT INTO audit_entries (leaf_index, sequence, entry, checkpoint) VALUES (?, ?, ?, ?)",
            arguments: [index, sequence, entry, checkpoint]
        )
        try db.execute(
            sql: "INSERT INTO audit_state (id, size, frontier) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET size = excluded.size, frontier = excluded.frontier",
            arguments: [range.size, range.hex]
        )
    }

    /// Appends the events that have no audit entry yet (recorded while no audit key was configured).
    static func backfillAudit(_ db: Database, _ audit: AuditLog) throws -> Int {
        let last = try Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM audit_entries") ?? 0
        let rows = try Row.fetchAll(db, sql: "SELECT * FROM events WHERE sequence > ? ORDER BY sequence", arguments: [last])
        for row in rows {
            let sequence: Int64 = row["sequence"]
            try appendAudit(db, audit, sequence: sequence, entry: auditEntry(
                sequence: sequence, kind: row["kind"], model: row["model"], version: row["version"], alias: row["alias"],
                actor: row["actor"], at: row["at"], detail: row["detail"]
            ))
        }
        return rows.count
    }

    /// Every audit entry in tree order, as stored (for verification, which trusts none of it).
    public func auditEntries() async throws -> [AuditEntry] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT leaf_index, sequence, entry, checkpoint FROM audit_entries ORDER BY leaf_index").map { row in
                AuditEntry(index: row["leaf_index"], sequence: row["sequence"], entry: row["entry"], checkpoint: row["checkpoint"])
            }
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
