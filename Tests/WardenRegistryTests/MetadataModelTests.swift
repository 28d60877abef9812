import Foundation
import Testing
import WardenCore
import WardenRegistry

@Suite(.metadataCleanup) struct MetadataModelTests {
    @Test(arguments: StoreKind.available)
    func createReadUpdateDelete(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        let created = try await store.createModel(name: "fraud", description: "card fraud scorer", tags: ["risk", "pci"], actor: "alice")
        #expect(created.name == "fraud")
        #expect(created.tags == ["risk", "pci"])
        #expect(created.createdBy == "alice")
        #expect(created.createdAt == created.updatedAt)
        #expect(try await store.model(named: "fraud") == created)
        #expect(try await store.model(named: "nope") == nil)

        try await Task.sleep(for: .milliseconds(5))
        let updated = try await store.updateModel(name: "fraud", description: "scores card transactions", tags: nil, actor: "bob")
        #expect(updated.description == "scores card transactions")
        #expect(updated.tags == ["risk", "pci"])
        #expect(updated.createdAt == created.createdAt)
        #expect(updated.updatedAt > created.updatedAt)
        #expect(try await store.model(named: "fraud") == updated)

        let retagged = try await store.updateModel(name: "fraud", description: nil, tags: ["risk"], actor: "bob")
        #expect(retagged.tags == ["risk"])
        #expect(retagged.description == "scores card transactions")

        try await store.deleteModel(name: "fraud", actor: "carol")
        #expect(try await store.model(named: "fraud") == nil)

        let events = try await fixture.allEvents()
        #expect(events.map(\.kind) == [.modelCreated, .modelUpdated, .modelUpdated, .modelDeleted])
        #expect(events.map(\.actor) == ["alice", "bob", "bob", "carol"])
        #expect(events.allSatisfy { $0.model == "fraud" && $0.version == nil && $0.alias == nil })
        #expect(try detail(events[1])["description"] as? String == "scores card transactions")
        #expect(try detail(events[2])["tags"] as? [String] == ["risk"])
    }

    @Test(arguments: StoreKind.available)
    func anUpdateThatChangesNothingRecordsNothing(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        let created = try await store.createModel(name: "m", description: "d", tags: ["a"], actor: "alice")
        let same = try await store.updateModel(name: "m", description: "d", tags: ["a"], actor: "bob")
        #expect(same == created)
        #expect(try await fixture.kinds() == [.modelCreated])
    }

    @Test(arguments: StoreKind.available)
    func tagsLoseBlanksAndRepeats(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        let model = try await store.createModel(name: "m", description: "", tags: ["b", " a ", "b", ""], actor: "alice")
        #expect(model.tags == ["b", "a"])
    }

    @Test(arguments: StoreKind.available)
    func aTakenNameIsAConflict(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        _ = try await store.createModel(name: "fraud", description: "", tags: [], actor: "alice")
        await expectAsyncWardenError(.conflict, containing: "model 'fraud' already exists") {
            _ = try await store.createModel(name: "fraud", description: "again", tags: [], actor: "bob")
        }
        #expect(try await store.model(named: "fraud")?.createdBy == "alice")
        #expect(try await fixture.kinds() == [.modelCreated])
    }

    @Test(arguments: StoreKind.available)
    func anEmptyNameIsRefused(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        await expectAsyncWardenError(.invalidArgument, containing: "needs a name") {
            _ = try await store.createModel(name: "", description: "", tags: [], actor: "alice")
        }
    }

    @Test(arguments: StoreKind.available)
    func unknownModelsAreNotFound(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        await expectAsyncWardenError(.notFound, containing: "model 'ghost' does not exist") {
            _ = try await store.updateModel(name: "ghost", description: "x", tags: nil, actor: "alice")
        }
        await expectAsyncWardenError(.notFound, containing: "model 'ghost' does not exist") {
            try await store.deleteModel(name: "ghost", actor: "alice")
        }
        #expect(try await fixture.kinds().isEmpty)
    }

    @Test(arguments: StoreKind.available)
    func aModelWithVersionsCannotBeDeleted(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        _ = try await store.createModel(name: "fraud", description: "", tags: [], actor: "alice")
        _ = try await store.insertVersion(newVersion("fraud", "1.0.0"), actor: "alice")
        await expectAsyncWardenError(.conflict, containing: ["model 'fraud' has 1 version", "yank"]) {
            try await store.deleteModel(name: "fraud", actor: "mallory")
        }
        #expect(try await store.model(named: "fraud") != nil)
        #expect(try await store.versions(of: "fraud").count == 1)
        #expect(try await fixture.kinds() == [.modelCreated, .versionCreated])
    }

    @Test(arguments: StoreKind.available)
    func aDeletedNameCanBeUsedAgainAndItsEventsRemain(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        _ = try await store.createModel(name: "tmp", description: "first", tags: ["x"], actor: "alice")
        try await store.deleteModel(name: "tmp", actor: "alice")
        let again = try await store.createModel(name: "tmp", description: "second", tags: [], actor: "bob")
        #expect(again.description == "second")
        #expect(try await store.listModels(prefix: nil, tag: "x", limit: 10, cursor: nil).items.isEmpty)
        #expect(try await fixture.kinds() == [.modelCreated, .modelDeleted, .modelCreated])
    }

    // MARK: Listing

    /// Names in SQLite's (and UTF-8's) byte order.
    static func byteOrder(_ names: [String]) -> [String] {
        names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    func createCatalog(_ store: any MetadataStore) async throws -> [String: [String]] {
        var catalog: [String: [String]] = [:]
        for index in 0..<23 {
            catalog["team-a/model-\(index)"] = index.isMultiple(of: 3) ? ["prod", "vision"] : ["vision"]
        }
        catalog["team-b/ranker"] = ["prod"]
        catalog["team-ab"] = ["prod"]
        catalog["team_a"] = []
        catalog["équipe/modèle"] = ["prod"]
        catalog["équipe/zèbre"] = []
        catalog["zeta"] = []
        for (name, tags) in catalog {
            _ = try await store.createModel(name: name, description: "", tags: tags, actor: "alice")
        }
        return catalog
    }

    /// Every name, page by page; checks each page is full but the last.
    func listAll(_ store: any MetadataStore, prefix: String? = nil, tag: String? = nil, limit: Int) async throws -> [String] {
        var names: [String] = []
        var cursor: String?
        repeat {
            let page = try await store.listModels(prefix: prefix, tag: tag, limit: limit, cursor: cursor)
            #expect(page.items.count <= limit)
            if page.nextCursor != nil { #expect(page.items.count == limit) }
            names += page.items.map(\.name)
            cursor = page.nextCursor
        } while cursor != nil
        return names
    }

    @Test(arguments: StoreKind.available)
    func listingPagesThroughEveryModelInNameOrder(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        let catalog = try await createCatalog(store)
        #expect(try await listAll(store, limit: 4) == Self.byteOrder(Array(catalog.keys)))
        #expect(try await listAll(store, limit: 1000) == Self.byteOrder(Array(catalog.keys)))
        #expect(try await listAll(store, limit: 1).count == catalog.count)
    }

    @Test(arguments: StoreKind.available, ["team-a/", "team-a", "team_", "é", "équipe/m", "z", "nothing-matches", ""])
    func listingFiltersByPrefix(_ kind: StoreKind, prefix: String) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        let catalog = try await createCatalog(store)
        let expected = Self.byteOrder(catalog.keys.filter { $0.hasPrefix(prefix) })
        #expect(try await listAll(store, prefix: prefix, limit: 5) == expected)
    }

    @Test(arguments: StoreKind.available)
    func listingFiltersByTagAndPrefixTogether(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        let catalog = try await createCatalog(store)
        let prod = Self.byteOrder(catalog.filter { $0.value.contains("prod") }.map(\.key))
        #expect(try await listAll(store, tag: "prod", limit: 3) == prod)
        #expect(try await listAll(store, prefix: "team-a/", tag: "prod", limit: 3) == prod.filter { $0.hasPrefix("team-a/") })
        #expect(try await listAll(store, tag: "unknown", limit: 3) == [])
    }

    @Test(arguments: StoreKind.available)
    func theListingCarriesWholeRecords(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        let created = try await store.createModel(name: "m", description: "about m", tags: ["t1", "t2"], actor: "alice")
        let page = try await store.listModels(prefix: nil, tag: "t2", limit: 10, cursor: nil)
        #expect(page.items == [created])
        #expect(page.nextCursor == nil)
    }

    @Test(arguments: StoreKind.available)
    func aPageNeedsARoomForOneModel(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        await expectAsyncWardenError(.invalidArgument, containing: "at least 1") {
            _ = try await store.listModels(prefix: nil, tag: nil, limit: 0, cursor: nil)
        }
    }
}
