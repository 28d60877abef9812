import Foundation
import GRDB
import Testing
import WardenCore
import WardenIntegrity
import WardenTestSupport
@testable import WardenRegistry

/// The Merkle audit log kept by the SQLite store, on a real database file,
/// tampered with directly in SQLite the way an intruder with file access would.
@Suite("The audit log")
struct AuditLogTests {
    final class Log: Sendable {
        let directory: TemporaryDirectory
        let audit: AuditLog
        let store: SQLiteMetadataStore
        var path: String { directory.file("warden.db") }

        init() throws {
            directory = try TemporaryDirectory("warden-audit")
            audit = try AuditLog.openOrCreate(directory: directory.path)
            store = try SQLiteMetadataStore(path: directory.file("warden.db"), audit: audit)
        }

        deinit {
            try? store.close()
            directory.remove()
        }

        /// Six changes: a model, two tokens, a revocation, a model update and a deletion.
        func mutate() async throws {
            _ = try await store.createModel(name: "fraud", description: "v1", tags: [], actor: "alice")
            _ = try await store.createToken(name: "ci", role: .publisher, secretHash: Digest(parsing: "sha256:" + String(repeating: "1", count: 64)), actor: "alice")
            let token = try await store.createToken(name: "ops", role: .deployer, secretHash: Digest(parsing: "sha256:" + String(repeating: "2", count: 64)), actor: "alice")
            _ = try await store.revokeToken(id: token.id, actor: "bob")
            _ = try await store.updateModel(name: "fraud", description: "v2", tags: ["risk"], actor: "bob")
            try await store.deleteModel(name: "fraud", actor: "bob")
        }

        func verify(earlier: String? = nil) async throws -> AuditVerification {
            AuditVerification(
                entries: try await store.auditEntries(), verifier: audit.verifier,
                eventSequences: try await store.events(after: 0, limit: 10_000).map(\.sequence),
                stateSize: try await store.auditStateSize(), earlier: earlier
            )
        }

        /// Runs SQL on the database file directly, outside the store.
        func tamper(_ sql: String) throws {
            let queue = try DatabaseQueue(path: path)
            try queue.write { try $0.execute(sql: sql) }
            try queue.close()
        }
    }

    @Test("every change is appended with a checkpoint signed for the new size, and the log verifies")
    func appendsAndVerifies() async throws {
        let log = try Log()
        try await log.mutate()
        let entries = try await log.store.auditEntries()
        #expect(entries.count == 6)
        #expect(entries.map(\.index) == Array(0..<6))
        #expect(entries[3].entry.contains(#""action":"token.revoked""#) && entries[3].entry.contains(#""actor":"bob""#))
        let check = try await log.verify()
        #expect(check.isValid, "\(check.problems)")
        #expect(check.verified == 6)
        #expect(check.root == MerkleTree.root(of: entries.map { MerkleTree.leafHash(Array($0.entry.utf8)) }))
        #expect(check.latestCheckpoint?.contains("\n6\n") == true)
        #expect(FileManager.default.fileExists(atPath: log.directory.file("audit.pub")))
    }

    @Test("an edited entry is named")
    func editedEntry() async throws {
        let log = try Log()
        try await log.mutate()
        try log.tamper("UPDATE audit_entries SET entry = replace(entry, 'bob', 'mallory') WHERE leaf_index = 3")
        let check = try await log.verify()
        #expect(check.problems.first?.index == 3)
        #expect(check.problems.first?.message.contains("entry #3") == true)
        #expect(check.verified == 3)
    }

    @Test("a deleted, a reordered and a truncated log are each caught")
    func deletedReorderedTruncated() async throws {
        let deleted = try Log()
        try await deleted.mutate()
        try deleted.tamper("DELETE FROM audit_entries WHERE leaf_index = 2")
        let first = try await deleted.verify()
        #expect(first.problems.first?.index == 2)
        #expect(first.problems.first?.message.contains("missing") == true)

        let reordered = try Log()
        try await reordered.mutate()
        try reordered.tamper("""
            UPDATE audit_entries SET leaf_index = -1 WHERE leaf_index = 1;
            UPDATE audit_entries SET leaf_index = 1 WHERE leaf_index = 2;
            UPDATE audit_entries SET leaf_index = 2 WHERE leaf_index = -1;
            """)
        let second = try await reordered.verify()
        #expect(second.problems.first?.index == 1)

        let truncated = try Log()
        try await truncated.mutate()
        let saved = try #require(try await truncated.verify().latestCheckpoint)
        try truncated.tamper("DELETE FROM audit_entries WHERE leaf_index = 5; UPDATE audit_state SET size = 5")
        let third = try await truncated.verify()
        #expect(!third.isValid)  // event 6 has no entry
        try truncated.tamper("DELETE FROM events WHERE sequence = 6")
        let fourth = try await truncated.verify(earlier: saved)
        #expect(fourth.problems.contains { $0.message.contains("were deleted") })
        let unseen = try await truncated.verify()
        #expect(unseen.isValid)  // without an earlier checkpoint, cutting the newest entries cleanly cannot be seen
    }

    @Test("a checkpoint not signed by the log key is refused")
    func foreignKey() async throws {
        let log = try Log()
        try await log.mutate()
        try log.directory.mkdir("other")
        let other = try AuditLog.openOrCreate(directory: log.directory.file("other")).verifier
        let entries = try await log.store.auditEntries()
        let check = AuditVerification(entries: entries, verifier: other)
        #expect(check.problems.first?.index == 0)
        #expect(check.problems.first?.message.contains("does not verify with the log key") == true)
    }

    @Test("events recorded without an audit key are appended when the store next opens with one")
    func backfill() async throws {
        let directory = try TemporaryDirectory("warden-audit")
        defer { directory.remove() }
        let plain = try SQLiteMetadataStore(path: directory.file("warden.db"))
        _ = try await plain.createModel(name: "a", description: "", tags: [], actor: "x")
        _ = try await plain.createModel(name: "b", description: "", tags: [], actor: "x")
        try plain.close()
        let audit = try AuditLog.openOrCreate(directory: directory.path)
        let store = try SQLiteMetadataStore(path: directory.file("warden.db"), audit: audit)
        defer { try? store.close() }
        _ = try await store.createModel(name: "c", description: "", tags: [], actor: "x")
        let entries = try await store.auditEntries()
        #expect(entries.map(\.sequence) == [1, 2, 3])
        let check = AuditVerification(entries: entries, verifier: audit.verifier, stateSize: try await store.auditStateSize())
        #expect(check.isValid, "\(check.problems)")
    }
}
