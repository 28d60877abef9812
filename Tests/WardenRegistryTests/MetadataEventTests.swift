import Foundation
import Testing
import WardenCore
import WardenRegistry

@Suite(.metadataCleanup) struct MetadataEventTests {
    /// One of every mutation, each expected to leave exactly one event.
    func everyMutation(on store: any MetadataStore) async throws -> [RegistryEvent.Kind] {
        var expected: [RegistryEvent.Kind] = []
        func step(_ kind: RegistryEvent.Kind, _ body: () async throws -> Void) async throws {
            let before = try await store.latestEventSequence()
            try await body()
            let after = try await store.events(after: before, limit: 10)
            #expect(after.map(\.kind) == [kind], "after \(kind)")
            expected.append(kind)
        }
        try await step(.modelCreated) { _ = try await store.createModel(name: "fraud", description: "", tags: [], actor: "alice") }
        try await step(.modelCreated) { _ = try await store.createModel(name: "scratch", description: "", tags: [], actor: "alice") }
        try await step(.modelUpdated) { _ = try await store.updateModel(name: "fraud", description: "new", tags: ["x"], actor: "alice") }
        try await step(.modelDeleted) { try await store.deleteModel(name: "scratch", actor: "alice") }
        try await step(.versionCreated) { _ = try await store.insertVersion(newVersion("fraud", "1.0.0"), actor: "alice") }
        try await step(.versionCreated) { _ = try await store.insertVersion(newVersion("fraud", "1.1.0"), actor: "alice") }
        try await step(.versionYanked) { _ = try await store.setYanked(model: "fraud", version: v("1.1.0"), yanked: true, reason: "bad", actor: "bob") }
        try await step(.versionUnyanked) { _ = try await store.setYanked(model: "fraud", version: v("1.1.0"), yanked: false, reason: nil, actor: "bob") }
        try await step(.aliasSet) { _ = try await store.setAlias(model: "fraud", alias: "production", version: v("1.0.0"), actor: "bob") }
        try await step(.aliasSet) { _ = try await store.setAlias(model: "fraud", alias: "production", version: v("1.1.0"), actor: "bob") }
        try await step(.aliasSet) { _ = try await store.setAlias(model: "fraud", alias: "canary", version: v("1.1.0"), actor: "bob") }
        try await step(.aliasDeleted) { _ = try await store.deleteAlias(model: "fraud", alias: "canary", actor: "bob") }
        try await step(.tokenCreated) { _ = try await store.createToken(name: "ci", role: .publisher, secretHash: sha("s"), actor: "admin") }
        try await step(.tokenRevoked) { _ = try await store.revokeToken(id: 1, actor: "admin") }
        try await step(.modelLoadRefused) { try await store.recordLoadRefusal(model: "fraud", version: "1.1.0", reason: "not signed", actor: "server") }
        try await step(.rolloutStarted) {
            _ = try await store.startRollout(RolloutRecord(
                model: "fraud", stable: v("1.0.0"), candidate: v("1.1.0"), plan: "{}", state: "{}", phase: "progressing", weight: 5,
                startedAt: Date(), startedBy: "bob", updatedAt: Date()
            ), actor: "bob")
        }
        for (kind, phase) in [(RegistryEvent.Kind.rolloutStepped, "progressing"), (.rolloutPaused, "paused"), (.rolloutResumed, "progressing"), (.rolloutPromoted, "promoted"), (.rolloutAborted, "aborted"), (.rollback, "rolled_back")] {
            try await step(kind) { _ = try await store.updateRollout(model: "fraud", phase: phase, weight: 25, state: "{}", event: kind, detail: [:], actor: "bob") }
        }
        return expected
    }

    @Test(arguments: StoreKind.available)
    func everyMutationLeavesOneEventInOrder(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        let expected = try await everyMutation(on: store)
        let events = try await fixture.allEvents()
        #expect(events.map(\.kind) == expected)
        #expect(events.map(\.sequence) == Array(1...Int64(expected.count)))
        #expect(try await store.latestEventSequence() == Int64(expected.count))
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.at <= $1.at })
        #expect(Set(events.map(\.kind)) == Set(RegistryEvent.Kind.allCases))
        for event in events {
            _ = try detail(event)  // every detail is a JSON object
        }
    }

    @Test(arguments: StoreKind.available)
    func anEmptyLogStartsAtZero(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        #expect(try await store.latestEventSequence() == 0)
        #expect(try await store.events(after: 0, limit: 10) == [])
    }

    @Test(arguments: StoreKind.available)
    func eventsArePagedBySequence(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        for index in 0..<25 {
            _ = try await store.createModel(name: "m\(index)", description: "", tags: [], actor: "alice")
        }
        var seen: [Int64] = []
        var after: Int64 = 0
        while true {
            let page = try await store.events(after: after, limit: 7)
            if page.isEmpty { break }
            #expect(page.count == min(7, 25 - seen.count))
            seen += page.map(\.sequence)
            after = page.last!.sequence
        }
        #expect(seen == Array(1...25))
        #expect(try await store.events(after: 20, limit: 100).map(\.model) == (20..<25).map { "m\($0)" })
        #expect(try await store.events(after: 25, limit: 100) == [])
        await expectAsyncWardenError(.invalidArgument, containing: "at least 1") {
            _ = try await store.events(after: 0, limit: 0)
        }
    }

    @Test(arguments: StoreKind.available)
    func aFailedMutationLeavesNoEventAndNoAuditEntry(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind, audit: true)
        let store = fixture.store
        _ = try await store.createModel(name: "fraud", description: "", tags: [], actor: "alice")
        _ = try await store.insertVersion(newVersion("fraud", "1.0.0"), actor: "alice")
        let before = try await fixture.allEvents()
        let audited = try await MetadataFixture.auditEntries(store)

        await expectAsyncWardenError(.conflict, containing: "already exists") {
            _ = try await store.createModel(name: "fraud", description: "", tags: [], actor: "mallory")
        }
        await expectAsyncWardenError(.conflict, containing: "already has version") {
            _ = try await store.insertVersion(newVersion("fraud", "1.0.0"), actor: "mallory")
        }
        await expectAsyncWardenError(.invalidArgument, containing: "more than once") {
            let file = FileEntry(path: "same", digest: sha("x"), size: 1)
            _ = try await store.insertVersion(newVersion("fraud", "2.0.0", files: [file, file]), actor: "mallory")
        }
        await expectAsyncWardenError(.invalidArgument, containing: "negative size") {
            _ = try await store.insertVersion(newVersion("fraud", "2.0.0", files: [FileEntry(path: "a", digest: sha("a"), size: -1)]), actor: "mallory")
        }
        await expectAsyncWardenError(.conflict, containing: "cannot be deleted") {
            try await store.deleteModel(name: "fraud", actor: "mallory")
        }
        await expectAsyncWardenError(.notFound, containing: "has no rollout") {
            _ = try await store.updateRollout(model: "fraud", phase: "paused", weight: 0, state: "{}", event: .rolloutPaused, detail: [:], actor: "mallory")
        }
        await expectAsyncWardenError(.notFound, containing: "no version") {
            _ = try await store.setAlias(model: "fraud", alias: "production", version: v("2.0.0"), actor: "mallory")
        }

        #expect(try await fixture.allEvents() == before)
        let after = try await MetadataFixture.auditEntries(store)
        #expect(after.entries == audited.entries && after.size == audited.size)
        #expect(try await store.versions(of: "fraud").map(\.version) == [v("1.0.0")])
        // The next event follows on without a gap.
        _ = try await store.insertVersion(newVersion("fraud", "2.0.0"), actor: "alice")
        #expect(try await store.latestEventSequence() == before.last!.sequence + 1)
    }

    @Test(arguments: StoreKind.available)
    func concurrentWritersGetDistinctGaplessSequences(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                group.addTask {
                    _ = try await store.createModel(name: "model-\(index)", description: "", tags: ["t\(index % 4)"], actor: "w\(index)")
                }
            }
            try await group.waitForAll()
        }
        let events = try await fixture.allEvents()
        #expect(events.map(\.sequence) == Array(1...40))
        #expect(Set(events.compactMap(\.model)).count == 40)
        #expect(try await store.listModels(prefix: "model-", tag: "t1", limit: 100, cursor: nil).items.count == 10)
    }

    // MARK: Durability

    @Test(arguments: StoreKind.available)
    func everythingSurvivesClosingAndReopening(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        let expected = try await everyMutation(on: store)
        let model = try await store.model(named: "fraud")
        let versions = try await store.versions(of: "fraud")
        let alias = try await store.alias(model: "fraud", "production")
        let history = try await store.aliasHistory(model: "fraud", alias: nil)
        let tokens = try await store.tokens()
        let events = try await fixture.allEvents()

        let reopened = try await fixture.reopen()
        #expect(try await reopened.model(named: "fraud") == model)
        #expect(try await reopened.versions(of: "fraud") == versions)
        #expect(try await reopened.alias(model: "fraud", "production") == alias)
        #expect(try await reopened.aliasHistory(model: "fraud", alias: nil) == history)
        #expect(try await reopened.tokens() == tokens)
        #expect(try await reopened.token(secretHash: sha("s")) == tokens.first)
        #expect(try await reopened.events(after: 0, limit: 100) == events)
        #expect(try await reopened.latestEventSequence() == Int64(expected.count))

        // The log continues where it stopped.
        _ = try await reopened.createModel(name: "after-restart", description: "", tags: [], actor: "alice")
        #expect(try await reopened.latestEventSequence() == Int64(expected.count) + 1)
    }

    @Test // SQLite only: its file on disk.
    func theDatabaseIsAFileInWALMode() async throws {
        let fixture = try await MetadataFixture(.sqlite)
        let store = fixture.store
        _ = try await store.createModel(name: "m", description: "", tags: [], actor: "alice")
        #expect(FileManager.default.fileExists(atPath: fixture.path))
        #expect(FileManager.default.fileExists(atPath: fixture.path + "-wal"))
    }

    @Test // SQLite only: its file on disk.
    func aFolderThatIsNotThereIsAClearError() async throws {
        let fixture = try await MetadataFixture(.sqlite)
        let path = fixture.directory.file("missing/folder/registry.sqlite")
        expectWardenError(.ioFailure, containing: ["cannot open the metadata database", "missing/folder/registry.sqlite"]) {
            _ = try SQLiteMetadataStore(path: path)
        }
    }

    @Test // SQLite only: its file on disk.
    func aFileThatIsNotADatabaseIsAClearError() async throws {
        let fixture = try await MetadataFixture(.sqlite)
        let path = try fixture.directory.write("notes.sqlite", String(repeating: "not a database\n", count: 100))
        expectWardenError(.ioFailure, containing: ["cannot open the metadata database", "notes.sqlite"]) {
            _ = try SQLiteMetadataStore(path: path)
        }
    }
}
