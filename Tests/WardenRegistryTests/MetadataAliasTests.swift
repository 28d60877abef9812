import Foundation
import Testing
import WardenCore
import WardenRegistry

@Suite(.metadataCleanup) struct MetadataAliasTests {
    /// Model `fraud` with versions 1.0.0, 1.1.0 and 2.0.0.
    func publish(_ store: any MetadataStore) async throws {
        _ = try await store.createModel(name: "fraud", description: "", tags: [], actor: "alice")
        for version in ["1.0.0", "1.1.0", "2.0.0"] {
            _ = try await store.insertVersion(newVersion("fraud", version), actor: "alice")
        }
    }

    @Test(arguments: StoreKind.available)
    func setMoveListAndDelete(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        try await publish(store)
        let first = try await store.setAlias(model: "fraud", alias: "production", version: v("1.0.0"), actor: "alice")
        #expect(first.from == nil && first.to == v("1.0.0") && first.actor == "alice")

        let current = try #require(try await store.alias(model: "fraud", "production"))
        #expect(current.version == v("1.0.0") && current.updatedBy == "alice" && current.updatedAt == first.at)

        let moved = try await store.setAlias(model: "fraud", alias: "production", version: v("1.1.0"), actor: "bob")
        #expect(moved.from == v("1.0.0") && moved.to == v("1.1.0") && moved.actor == "bob")
        _ = try await store.setAlias(model: "fraud", alias: "canary", version: v("2.0.0"), actor: "bob")

        let aliases = try await store.aliases(of: "fraud")
        #expect(aliases.map(\.alias) == ["canary", "production"])
        #expect(aliases.map(\.version) == [v("2.0.0"), v("1.1.0")])
        #expect(try await store.alias(model: "fraud", "production")?.updatedBy == "bob")

        let deleted = try await store.deleteAlias(model: "fraud", alias: "canary", actor: "carol")
        #expect(deleted?.from == v("2.0.0") && deleted?.to == nil && deleted?.actor == "carol")
        #expect(try await store.alias(model: "fraud", "canary") == nil)
        #expect(try await store.aliases(of: "fraud").map(\.alias) == ["production"])
    }

    @Test(arguments: StoreKind.available)
    func historyKeepsEveryMoveNewestFirst(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        try await publish(store)
        _ = try await store.setAlias(model: "fraud", alias: "production", version: v("1.0.0"), actor: "alice")
        _ = try await store.setAlias(model: "fraud", alias: "canary", version: v("2.0.0"), actor: "bob")
        _ = try await store.setAlias(model: "fraud", alias: "production", version: v("1.1.0"), actor: "bob")
        _ = try await store.setAlias(model: "fraud", alias: "production", version: v("1.0.0"), actor: "carol")  // rollback
        _ = try await store.deleteAlias(model: "fraud", alias: "canary", actor: "dave")

        let production = try await store.aliasHistory(model: "fraud", alias: "production")
        #expect(production.map(\.from) == [v("1.1.0"), v("1.0.0"), nil])
        #expect(production.map(\.to) == [v("1.0.0"), v("1.1.0"), v("1.0.0")])
        #expect(production.map(\.actor) == ["carol", "bob", "alice"])
        #expect(production.allSatisfy { $0.model == "fraud" && $0.alias == "production" })
        #expect(zip(production, production.dropFirst()).allSatisfy { $0.at >= $1.at })

        let all = try await store.aliasHistory(model: "fraud", alias: nil)
        #expect(all.map(\.alias) == ["canary", "production", "production", "canary", "production"])
        #expect(all.first?.to == nil && all.first?.from == v("2.0.0"))
        #expect(try await store.aliasHistory(model: "fraud", alias: "staging") == [])
    }

    @Test(arguments: StoreKind.available)
    func eachMoveIsAnEventWithFromAndTo(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        try await publish(store)
        let before = try await store.latestEventSequence()
        _ = try await store.setAlias(model: "fraud", alias: "production", version: v("1.0.0"), actor: "alice")
        _ = try await store.setAlias(model: "fraud", alias: "production", version: v("1.1.0"), actor: "bob")
        _ = try await store.deleteAlias(model: "fraud", alias: "production", actor: "carol")

        let events = try await store.events(after: before, limit: 10)
        #expect(events.map(\.kind) == [.aliasSet, .aliasSet, .aliasDeleted])
        #expect(events.allSatisfy { $0.model == "fraud" && $0.alias == "production" })
        #expect(events.map(\.version) == [v("1.0.0"), v("1.1.0"), v("1.1.0")])
        #expect(events.map(\.actor) == ["alice", "bob", "carol"])

        let first = try detail(events[0])
        #expect(first["from"] is NSNull)
        #expect(first["to"] as? String == "1.0.0")
        let second = try detail(events[1])
        #expect(second["from"] as? String == "1.0.0")
        #expect(second["to"] as? String == "1.1.0")
        let third = try detail(events[2])
        #expect(third["from"] as? String == "1.1.0")
        #expect(third["to"] is NSNull)
    }

    @Test(arguments: StoreKind.available)
    func pointingAnAliasWhereItPointsChangesNothing(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        try await publish(store)
        let set = try await store.setAlias(model: "fraud", alias: "production", version: v("1.0.0"), actor: "alice")
        let sequence = try await store.latestEventSequence()
        let same = try await store.setAlias(model: "fraud", alias: "production", version: v("1.0.0"), actor: "bob")
        #expect(same.from == v("1.0.0") && same.to == v("1.0.0"))
        #expect(try await store.latestEventSequence() == sequence)
        #expect(try await store.aliasHistory(model: "fraud", alias: "production").count == 1)
        #expect(try await store.alias(model: "fraud", "production")?.updatedAt == set.at)
    }

    @Test(arguments: StoreKind.available)
    func anAliasNeedsAVersionThatExists(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        try await publish(store)
        let before = try await store.latestEventSequence()
        await expectAsyncWardenError(.notFound, containing: ["'fraud:production'", "no version 3.0.0"]) {
            _ = try await store.setAlias(model: "fraud", alias: "production", version: v("3.0.0"), actor: "alice")
        }
        await expectAsyncWardenError(.notFound, containing: "model 'ghost' does not exist") {
            _ = try await store.setAlias(model: "ghost", alias: "production", version: v("1.0.0"), actor: "alice")
        }
        await expectAsyncWardenError(.invalidArgument, containing: "needs a name") {
            _ = try await store.setAlias(model: "fraud", alias: "", version: v("1.0.0"), actor: "alice")
        }
        #expect(try await store.alias(model: "fraud", "production") == nil)
        #expect(try await store.aliasHistory(model: "fraud", alias: nil) == [])
        #expect(try await store.latestEventSequence() == before)
    }

    @Test(arguments: StoreKind.available)
    func deletingAnAliasThatIsNotThereReturnsNil(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        try await publish(store)
        let before = try await store.latestEventSequence()
        #expect(try await store.deleteAlias(model: "fraud", alias: "staging", actor: "alice") == nil)
        #expect(try await store.latestEventSequence() == before)
        await expectAsyncWardenError(.notFound, containing: "model 'ghost'") {
            _ = try await store.deleteAlias(model: "ghost", alias: "staging", actor: "alice")
        }
    }

    @Test(arguments: StoreKind.available)
    func anAliasMayPointAtAVersionPublishedWithBuildMetadata(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        _ = try await store.createModel(name: "m", description: "", tags: [], actor: "alice")
        _ = try await store.insertVersion(newVersion("m", "1.0.0+build.5"), actor: "alice")
        let move = try await store.setAlias(model: "m", alias: "production", version: v("1.0.0"), actor: "alice")
        #expect(move.to?.isIdentical(to: v("1.0.0+build.5")) == true)
        #expect(try await store.alias(model: "m", "production")?.version.isIdentical(to: v("1.0.0+build.5")) == true)
    }

    @Test(arguments: StoreKind.available)
    func concurrentMovesFormOneUnbrokenChain(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        try await publish(store)
        let versions = [v("1.0.0"), v("1.1.0"), v("2.0.0")]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<30 {
                group.addTask {
                    _ = try await store.setAlias(model: "fraud", alias: "production", version: versions[index % 3], actor: "worker-\(index)")
                }
            }
            try await group.waitForAll()
        }
        // Oldest first: each move starts where the one before it ended.
        let moves = try await store.aliasHistory(model: "fraud", alias: "production").reversed()
        #expect(moves.first?.from == nil)
        #expect(zip(moves, moves.dropFirst()).allSatisfy { $0.to == $1.from && $1.from != $1.to })

        let events = try await fixture.allEvents().filter { $0.kind == .aliasSet }
        #expect(events.count == moves.count)
        #expect(events.map(\.version) == moves.map(\.to))
        #expect(events.map(\.actor) == moves.map(\.actor))
    }
}
