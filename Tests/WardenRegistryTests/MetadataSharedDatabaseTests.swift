import Foundation
import Testing
import WardenCore
@testable import WardenRegistry

/// Two stores on one database, as two processes (two `warden serve` replicas, or a server and
/// `warden fsck`) have them, and the all-or-nothing of each write with its audit entry.
@Suite(.metadataCleanup) struct MetadataSharedDatabaseTests {
    @Test(arguments: StoreKind.available)
    func twoStoresRacingToPublishOneVersionLeaveOneWinner(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind, audit: true)
        let other = try await fixture.another()
        _ = try await fixture.store.createModel(name: "fraud", description: "", tags: [], actor: "alice")
        let outcomes = await withTaskGroup(of: String.self) { group in
            for (index, store) in [fixture.store, other, fixture.store, other].enumerated() {
                group.addTask {
                    do {
                        _ = try await store.insertVersion(newVersion("fraud", "1.0.0+replica.\(index)"), actor: "replica-\(index)")
                        return "created"
                    } catch let error as WardenError where error.code == .conflict && error.message.contains("already has version") {
                        return "conflict"
                    } catch {
                        return "\(error)"
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.sorted() == ["conflict", "conflict", "conflict", "created"], "\(outcomes)")
        #expect(try await other.versions(of: "fraud").count == 1)
        #expect(try await fixture.kinds() == [.modelCreated, .versionCreated])
        let check = try await fixture.verifyAudit(other)
        #expect(check.isValid && check.verified == 2, "\(check.problems)")
    }

    @Test(arguments: StoreKind.available)
    func aChangeThroughOneStoreIsReadThroughTheOther(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let other = try await fixture.another()
        _ = try await fixture.store.createModel(name: "fraud", description: "", tags: [], actor: "alice")
        _ = try await other.insertVersion(newVersion("fraud", "1.0.0"), actor: "bob")
        _ = try await fixture.store.setAlias(model: "fraud", alias: "production", version: v("1.0.0"), actor: "carol")
        #expect(try await other.alias(model: "fraud", "production")?.updatedBy == "carol")
        #expect(try await other.events(after: 0, limit: 10).map(\.actor) == ["alice", "bob", "carol"])
    }
}
