import Foundation
import Testing
import WardenCore
import WardenRegistry

/// A metadata store on a real SQLite file in a fresh folder, removed when the fixture goes.
///
/// Tests talk to `store` as `any MetadataStore`, so the same tests can run
/// against the PostgreSQL store when it comes.
final class MetadataFixture: Sendable {
    let directory: TemporaryDirectory
    let path: String
    let sqlite: SQLiteMetadataStore
    var store: any MetadataStore { sqlite }

    init() throws {
        directory = try TemporaryDirectory("warden-metadata")
        path = directory.file("registry.sqlite")
        sqlite = try SQLiteMetadataStore(path: path)
    }

    deinit {
        try? sqlite.close()
        directory.remove()
    }

    /// Closes the store and opens a new one on the same file.
    func reopen() throws -> SQLiteMetadataStore {
        try sqlite.close()
        return try SQLiteMetadataStore(path: path)
    }

    /// Every event so far, oldest first.
    func allEvents() async throws -> [RegistryEvent] {
        try await store.events(after: 0, limit: 10_000)
    }

    /// The kinds of the events after `sequence`.
    func kinds(after sequence: Int64 = 0) async throws -> [RegistryEvent.Kind] {
        try await store.events(after: sequence, limit: 10_000).map(\.kind)
    }
}

/// A version as a publisher would send it, with one or two files.
func newVersion(
    _ model: String, _ version: String, files: [FileEntry]? = nil, lineage: LineageRecord = LineageRecord(),
    bundle: String? = nil, signers: [String] = [], requiredBump: ChangeLevel? = nil, baseline: String? = nil
) -> NewVersion {
    NewVersion(
        model: model,
        version: v(version),
        manifestDigest: sha("manifest \(model)@\(version)"),
        files: files ?? [
            FileEntry(path: "model.onnx", digest: sha("weights \(model)@\(version)"), size: 1234),
            FileEntry(path: "warden.yaml", digest: sha("card \(model)@\(version)"), size: 56),
        ],
        bundle: bundle,
        signers: signers,
        descriptionJSON: #"{"inputs":[],"outputs":[]}"#,
        requiredBump: requiredBump,
        baseline: baseline.map(v),
        lineage: lineage
    )
}

/// The detail of an event as a JSON object.
func detail(_ event: RegistryEvent) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(event.detailJSON.utf8))
    return try #require(object as? [String: Any], "detail is not a JSON object: \(event.detailJSON)")
}
