import Foundation
import Testing
import WardenCore
import WardenIntegrity
import WardenTestSupport
@testable import WardenRegistry

/// The Merkle audit log kept by each metadata store, on a real database, tampered with
/// directly in SQL the way an intruder with access to the database would.
@Suite("The audit log", .metadataCleanup)
struct AuditLogTests {
    /// Six changes: a model, two tokens, a revocation, a model update and a deletion.
    static func mutate(_ store: any MetadataStore) async throws {
        _ = try await store.createModel(name: "fraud", description: "v1", tags: [], actor: "alice")
        _ = try await store.createToken(name: "ci", role: .publisher, secretHash: Digest(parsing: "sha256:" + String(repeating: "1", count: 64)), actor: "alice")
        let token = try await store.createToken(name: "ops", role: .deployer, secretHash: Digest(parsing: "sha256:" + String(repeating: "2", count: 64)), actor: "alice")
        _ = try await store.revokeToken(id: token.id, actor: "bob")
        _ = try await store.updateModel(name: "fraud", description: "v2", tags: ["risk"], actor: "bob")
        try await store.deleteModel(name: "fraud", actor: "bob")
    }

    static func log(_ kind: StoreKind) async throws -> MetadataFixture {
        let fixture = try await MetadataFixture(kind, audit: true)
        try await mutate(fixture.store)
        return fixture
    }

    @Test("every change is appended with a checkpoint signed for the new size, and the log verifies", arguments: StoreKind.available)
    func appendsAndVerifies(_ kind: StoreKind) async throws {
        let log = try await Self.log(kind)
        let entries = try await MetadataFixture.auditEntries(log.store).entries
        #expect(entries.count == 6)
        #expect(entries.map(\.index) == Array(0..<6))
        #expect(entries[3].entry.contains(#""action":"token.revoked""#) && entries[3].entry.contains(#""actor":"bob""#))
        let check = try await log.verifyAudit()
        #expect(check.isValid, "\(check.problems)")
        #expect(check.verified == 6)
        #expect(check.root == MerkleTree.root(of: entries.map { MerkleTree.leafHash(Array($0.entry.utf8)) }))
        #expect(check.latestCheckpoint?.contains("\n6\n") == true)
        #expect(FileManager.default.fileExists(atPath: log.directory.file("audit.pub")))
    }

    @Test("an edited entry is named", arguments: StoreKind.available)
    func editedEntry(_ kind: StoreKind) async throws {
        let log = try await Self.log(kind)
        try await log.tamper("UPDATE audit_entries SET entry = replace(entry, 'bob', 'mallory') WHERE leaf_index = 3")
        let check = try await log.verifyAudit()
        #expect(check.problems.first?.index == 3)
        #expect(check.problems.first?.message.contains("entry #3") == true)
        #expect(check.verified == 3)
    }

    @Test("a deleted, a reordered and a truncated log are each caught", arguments: StoreKind.available)
    func deletedReorderedTruncated(_ kind: StoreKind) async throws {
        let deleted = try await Self.log(kind)
        try await deleted.tamper("DELETE FROM audit_entries WHERE leaf_index = 2")
        let first = try await deleted.verifyAudit()
        #expect(first.problems.first?.index == 2)
        #expect(first.problems.first?.message.contains("missing") == true)

        let reordered = try await Self.log(kind)
        try await reordered.tamper("""
            UPDATE audit_entries SET leaf_index = -1 WHERE leaf_index = 1;
            UPDATE audit_entries SET leaf_index = 1 WHERE leaf_index = 2;
            UPDATE audit_entries SET leaf_index = 2 WHERE leaf_index = -1;
            """)
        let second = try await reordered.verifyAudit()
        #expect(second.problems.first?.index == 1)

        let truncated = try await Self.log(kind)
        let saved = try #require(try await truncated.verifyAudit().latestCheckpoint)
        try await truncated.tamper("DELETE FROM audit_entries WHERE leaf_index = 5;\nUPDATE audit_state SET size = 5")
        let third = try await truncated.verifyAudit()
        #expect(!third.isValid)  // event 6 has no entry
        try await truncated.tamper("DELETE FROM events WHERE sequence = 6")
        let fourth = try await truncated.verifyAudit(earlier: saved)
        #expect(fourth.problems.contains { $0.message.contains("were deleted") })
        let unseen = try await truncated.verifyAudit()
        #expect(unseen.isValid)  // without an earlier checkpoint, cutting the newest entries cleanly cannot be seen
    }

    @Test("a checkpoint not signed by the log key is refused", arguments: StoreKind.available)
    func foreignKey(_ kind: StoreKind) async throws {
        let log = try await Self.log(kind)
        try log.directory.mkdir("other")
        let other = try AuditLog.openOrCreate(directory: log.directory.file("other")).verifier
        let entries = try await MetadataFixture.auditEntries(log.store).entries
        let check = AuditVerification(entries: entries, verifier: other)
        #expect(check.problems.first?.index == 0)
        #expect(check.problems.first?.message.contains("does not verify with the log key") == true)
    }

    @Test("events recorded without an audit key are appended when the store next opens with one", arguments: StoreKind.available)
    func backfill(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        _ = try await fixture.store.createModel(name: "a", description: "", tags: [], actor: "x")
        _ = try await fixture.store.createModel(name: "b", description: "", tags: [], actor: "x")
        let audit = try AuditLog.openOrCreate(directory: fixture.directory.path)
        let store = try await fixture.reopen(audit: audit)
        _ = try await store.createModel(name: "c", description: "", tags: [], actor: "x")
        let (entries, size) = try await MetadataFixture.auditEntries(store)
        #expect(entries.map(\.sequence) == [1, 2, 3])
        let check = AuditVerification(entries: entries, verifier: audit.verifier, stateSize: size)
        #expect(check.isValid, "\(check.problems)")
    }

    @Test("two stores writing at once on one database keep one log that verifies", arguments: StoreKind.available)
    func twoWritersOneLog(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind, audit: true)
        let other = try await fixture.another()
        let stores = [fixture.store, other]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<30 {
                let store = stores[index % 2]
                group.addTask {
                    _ = try await store.createModel(name: "model-\(index)", description: "", tags: [], actor: "writer-\(index % 2)")
                }
            }
            try await group.waitForAll()
        }
        for store in stores {
            let check = try await fixture.verifyAudit(store)
            #expect(check.isValid, "\(check.problems)")
            #expect(check.verified == 30)
        }
        let events = try await fixture.allEvents()
        #expect(events.map(\.sequence) == Array(1...30))
        #expect(try await MetadataFixture.auditEntries(other).entries.map(\.sequence) == Array(1...30))
    }
}
