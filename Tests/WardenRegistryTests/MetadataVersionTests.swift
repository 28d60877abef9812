import Foundation
import Testing
import WardenCore
import WardenRegistry

@Suite(.metadataCleanup) struct MetadataVersionTests {
    func createModels(_ store: any MetadataStore, _ names: String...) async throws {
        for name in names {
            _ = try await store.createModel(name: name, description: "", tags: [], actor: "alice")
        }
    }

    @Test(arguments: StoreKind.available)
    func everyFieldRoundTrips(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        try await createModels(store, "fraud")
        let new = NewVersion(
            model: "fraud",
            version: v("1.3.0-rc.1+build.7"),
            manifestDigest: sha("manifest"),
            files: [
                FileEntry(path: "weights/part-2.bin", digest: sha("b"), size: 2_000_000_000),
                FileEntry(path: "model.onnx", digest: sha("a"), size: 10),
                FileEntry(path: "empty.txt", digest: sha(""), size: 0),
            ],
            bundle: #"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}"#,
            signers: ["key-b", "key-a"],
            descriptionJSON: #"{"inputs":[{"name":"x","shape":[-1,30]}]}"#,
            requiredBump: .minor,
            baseline: v("1.2.0"),
            lineage: LineageRecord(
                parentName: "base", parentVersion: v("2.0.0"), dataset: sha("dataset"), codeRevision: "3f2a9c1",
                runURL: "https://mlflow.example.com/#/experiments/1/runs/abc"
            )
        )
        let inserted = try await store.insertVersion(new, actor: "alice")
        #expect(inserted == VersionRecord(new, createdAt: inserted.createdAt, createdBy: "alice"))
        #expect(inserted.totalSize == 2_000_000_010)

        let read = try #require(try await store.version(of: "fraud", v("1.3.0-rc.1")))
        #expect(read == inserted)
        // Build metadata is kept as published, files in the order given.
        #expect(read.version.isIdentical(to: v("1.3.0-rc.1+build.7")))
        #expect(read.files.map(\.path) == ["weights/part-2.bin", "model.onnx", "empty.txt"])
        #expect(read.signers == ["key-b", "key-a"])
        #expect(read.yanked == false && read.yankReason == nil)
    }

    @Test(arguments: StoreKind.available)
    func aFirstVersionHasNoBaselineOrBumpAndNoLineage(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        try await createModels(store, "m")
        let inserted = try await store.insertVersion(newVersion("m", "0.1.0"), actor: "alice")
        let read = try await store.version(of: "m", v("0.1.0"))
        #expect(read == inserted)
        #expect(read?.requiredBump == nil && read?.baseline == nil && read?.bundle == nil)
        #expect(read?.lineage.isEmpty == true)
    }

    @Test(arguments: StoreKind.available)
    func versionsComeInSemVerOrder(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        try await createModels(store, "m", "other")
        for version in ["1.10.0", "1.2.0", "1.2.0-rc.1", "2.0.0", "1.2.0-beta.11", "0.9.0", "1.2.0-beta.2", "1.2.0-alpha"] {
            _ = try await store.insertVersion(newVersion("m", version), actor: "alice")
        }
        _ = try await store.insertVersion(newVersion("other", "5.0.0"), actor: "alice")
        let versions = try await store.versions(of: "m").map(\.version.description)
        #expect(versions == ["0.9.0", "1.2.0-alpha", "1.2.0-beta.2", "1.2.0-beta.11", "1.2.0-rc.1", "1.2.0", "1.10.0", "2.0.0"])
        #expect(try await store.versions(of: "nobody") == [])
    }

    @Test(arguments: StoreKind.available)
    func aVersionIsImmutable(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        try await createModels(store, "m")
        let first = try await store.insertVersion(newVersion("m", "1.2.0"), actor: "alice")
        var again = newVersion("m", "1.2.0")
        again.manifestDigest = sha("different bytes")
        await expectAsyncWardenError(
            .conflict, containing: "model 'm' already has version 1.2.0; versions are immutable, publish a new version"
        ) {
            _ = try await store.insertVersion(again, actor: "mallory")
        }
        // Build metadata does not make another version (SemVer §10).
        await expectAsyncWardenError(.conflict, containing: ["already has version 1.2.0, which 1.2.0+rebuild equals", "build metadata"]) {
            _ = try await store.insertVersion(newVersion("m", "1.2.0+rebuild"), actor: "mallory")
        }
        #expect(try await store.version(of: "m", v("1.2.0")) == first)
        #expect(try await fixture.kinds() == [.modelCreated, .versionCreated])
    }

    @Test(arguments: StoreKind.available)
    func aVersionOfAnUnknownModelIsNotFound(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        await expectAsyncWardenError(.notFound, containing: ["model 'ghost' does not exist", "1.0.0"]) {
            _ = try await store.insertVersion(newVersion("ghost", "1.0.0"), actor: "alice")
        }
        #expect(try await store.version(of: "ghost", v("1.0.0")) == nil)
    }

    @Test(arguments: StoreKind.available)
    func aFileListedTwiceRollsTheWholeVersionBack(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        try await createModels(store, "m")
        let before = try await store.latestEventSequence()
        let twice = newVersion("m", "1.0.0", files: [
            FileEntry(path: "model.onnx", digest: sha("a"), size: 1),
            FileEntry(path: "model.onnx", digest: sha("b"), size: 2),
        ])
        // The version row is written before its files: the failure must take it back, with no event.
        await expectAsyncWardenError(.invalidArgument, containing: ["m@1.0.0 lists the file 'model.onnx' more than once"]) {
            _ = try await store.insertVersion(twice, actor: "alice")
        }
        #expect(try await store.version(of: "m", v("1.0.0")) == nil)
        #expect(try await store.versions(of: "m") == [])
        #expect(try await store.latestEventSequence() == before)
        // And the version number is still free.
        _ = try await store.insertVersion(newVersion("m", "1.0.0"), actor: "alice")
    }

    // MARK: Yank

    @Test(arguments: StoreKind.available)
    func yankAndUnyank(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        try await createModels(store, "m")
        _ = try await store.insertVersion(newVersion("m", "1.0.0"), actor: "alice")
        let yanked = try await store.setYanked(model: "m", version: v("1.0.0"), yanked: true, reason: "leaks PII", actor: "bob")
        #expect(yanked.yanked && yanked.yankReason == "leaks PII")
        #expect(try await store.version(of: "m", v("1.0.0")) == yanked)

        // Yanking again with the same reason changes nothing and records nothing.
        _ = try await store.setYanked(model: "m", version: v("1.0.0"), yanked: true, reason: "leaks PII", actor: "bob")

        let restored = try await store.setYanked(model: "m", version: v("1.0.0"), yanked: false, reason: "ignored", actor: "carol")
        #expect(!restored.yanked && restored.yankReason == nil)
        #expect(try await store.version(of: "m", v("1.0.0")) == restored)

        let events = try await store.events(after: 2, limit: 10)
        #expect(events.map(\.kind) == [.versionYanked, .versionUnyanked])
        #expect(events.map(\.actor) == ["bob", "carol"])
        #expect(events.allSatisfy { $0.model == "m" && $0.version == v("1.0.0") })
        #expect(try detail(events[0])["reason"] as? String == "leaks PII")
    }

    @Test(arguments: StoreKind.available)
    func yankingWhatDoesNotExistIsNotFound(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        try await createModels(store, "m")
        await expectAsyncWardenError(.notFound, containing: "model 'm' has no version 9.9.9") {
            _ = try await store.setYanked(model: "m", version: v("9.9.9"), yanked: true, reason: nil, actor: "bob")
        }
        await expectAsyncWardenError(.notFound, containing: "model 'ghost' does not exist") {
            _ = try await store.setYanked(model: "ghost", version: v("1.0.0"), yanked: true, reason: nil, actor: "bob")
        }
    }

    // MARK: Lineage

    @Test(arguments: StoreKind.available)
    func lineageAnswersChildrenAndTrainedOn(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        try await createModels(store, "base", "fraud", "fraud-small")
        let dataset = sha("transactions-2024.parquet")
        let other = sha("transactions-2025.parquet")
        _ = try await store.insertVersion(newVersion("base", "1.0.0", lineage: LineageRecord(dataset: dataset)), actor: "alice")
        _ = try await store.insertVersion(newVersion("base", "1.1.0"), actor: "alice")
        let child = { (model: String, version: String, parent: String, data: Digest?) in
            newVersion(model, version, lineage: LineageRecord(parentName: "base", parentVersion: v(parent), dataset: data, codeRevision: "abc"))
        }
        _ = try await store.insertVersion(child("fraud", "2.0.0", "1.0.0", dataset), actor: "alice")
        _ = try await store.insertVersion(child("fraud", "1.0.0", "1.0.0", other), actor: "alice")
        _ = try await store.insertVersion(child("fraud-small", "0.1.0", "1.0.0+build.3", nil), actor: "alice")
        _ = try await store.insertVersion(child("fraud", "3.0.0", "1.1.0", other), actor: "alice")

        let children = try await store.children(of: "base", v("1.0.0")).map { "\($0.model)@\($0.version)" }
        #expect(children == ["fraud@1.0.0", "fraud@2.0.0", "fraud-small@0.1.0"])
        #expect(try await store.children(of: "base", v("1.1.0")).map(\.version) == [v("3.0.0")])
        #expect(try await store.children(of: "fraud", v("1.0.0")) == [])

        let trained = try await store.versions(trainedOn: dataset).map { "\($0.model)@\($0.version)" }
        #expect(trained == ["base@1.0.0", "fraud@2.0.0"])
        #expect(try await store.versions(trainedOn: other).count == 2)
        #expect(try await store.versions(trainedOn: sha("unused")) == [])

        // Lineage comes back whole, files included.
        let record = try #require(try await store.children(of: "base", v("1.1.0")).first)
        #expect(record.lineage == LineageRecord(parentName: "base", parentVersion: v("1.1.0"), dataset: other, codeRevision: "abc"))
        #expect(record.files.count == 2)
    }
}
