import Foundation
import GRDB
import PostgresNIO
import Synchronization
import Testing
import WardenCore
@testable import WardenRegistry

/// A metadata store of one kind on a fresh database: a real SQLite file in a fresh folder, or
/// a fresh database on the PostgreSQL test server. Tests talk to `store` as `any MetadataStore`,
/// so the same tests run against both.
///
/// Swift Testing has no async teardown for a test's locals: in a suite with the
/// `.metadataCleanup` trait the fixture is cleaned up (stores closed, PostgreSQL database
/// dropped, folder removed) right after its test; elsewhere `deinit` starts that in a task.
final class MetadataFixture: Sendable {
    let kind: StoreKind
    let directory: TemporaryDirectory
    /// The SQLite file (for the SQLite kind).
    let path: String
    /// The PostgreSQL database (for the PostgreSQL kind).
    let database: PostgresLocation?
    let audit: AuditLog?
    private let opened: Mutex<[any MetadataStore]>
    /// The store the test uses.
    let store: any MetadataStore

    /// - Parameter audit: keep an audit log with a key made in the fixture's folder.
    init(_ kind: StoreKind, audit: Bool = false) async throws {
        self.kind = kind
        directory = try TemporaryDirectory("warden-metadata")
        path = directory.file("registry.sqlite")
        self.audit = audit ? try AuditLog.openOrCreate(directory: directory.path) : nil
        database = kind == .postgres ? try await PostgresTestServer.createDatabase() : nil
        opened = Mutex([])
        do {
            store = try await Self.open(kind, path: path, database: database, audit: self.audit)
        } catch {
            if let database { await PostgresTestServer.dropDatabase(database.database) }
            directory.remove()
            throw error
        }
        opened.withLock { $0.append(store) }
        MetadataCleanup.register(self)
    }

    /// Closes every store opened, drops the PostgreSQL database and removes the folder; once.
    func cleanUp() async {
        let stores = opened.withLock { opened in
            defer { opened.removeAll() }
            return opened
        }
        for store in stores { await Self.close(store) }
        if let database { await PostgresTestServer.dropDatabase(database.database) }
        directory.remove()
    }

    deinit {
        let stores = opened.withLock { $0 }
        guard !stores.isEmpty else { return }
        let database = self.database
        let directory = self.directory
        Task {
            for store in stores { await Self.close(store) }
            if let database { await PostgresTestServer.dropDatabase(database.database) }
            directory.remove()
        }
    }

    static func open(_ kind: StoreKind, path: String, database: PostgresLocation?, audit: AuditLog?) async throws -> any MetadataStore {
        switch kind {
        case .sqlite: return try SQLiteMetadataStore(path: path, audit: audit)
        case .postgres: return try await PostgresMetadataStore(location: try #require(database), audit: audit)
        }
    }

    static func close(_ store: any MetadataStore) async {
        if let sqlite = store as? SQLiteMetadataStore { try? sqlite.close() }
        if let postgres = store as? PostgresMetadataStore { await postgres.close() }
    }

    /// Another store on the same database, as a second process would open it (the fixture closes it).
    func another(audit: AuditLog?? = nil) async throws -> any MetadataStore {
        let store = try await Self.open(kind, path: path, database: database, audit: audit ?? self.audit)
        opened.withLock { $0.append(store) }
        return store
    }

    /// Closes the first store and opens a new one on the same database.
    func reopen(audit: AuditLog?? = nil) async throws -> any MetadataStore {
        await Self.close(store)
        return try await another(audit: audit)
    }

    /// The audit entries and state of a store, whichever kind.
    static func auditEntries(_ store: any MetadataStore) async throws -> (entries: [AuditEntry], size: Int?) {
        switch store {
        case let sqlite as SQLiteMetadataStore: return (try await sqlite.auditEntries(), try await sqlite.auditStateSize())
        case let postgres as PostgresMetadataStore: return (try await postgres.auditEntries(), try await postgres.auditStateSize())
        default: throw WardenError(.invalidArgument, "no audit log in \(type(of: store))")
        }
    }

    /// Checks the audit log of `store` as `warden audit verify` does.
    func verifyAudit(_ store: (any MetadataStore)? = nil, earlier: String? = nil) async throws -> AuditVerification {
        let store = store ?? self.store
        let (entries, size) = try await Self.auditEntries(store)
        return AuditVerification(
            entries: entries, verifier: try #require(audit).verifier,
            eventSequences: try await store.events(after: 0, limit: 10_000).map(\.sequence), stateSize: size, earlier: earlier
        )
    }

    /// Runs SQL on the database directly, outside the store, the way an intruder with access would:
    /// statements separated by `;` at the end of a line.
    func tamper(_ sql: String) async throws {
        let statements = sql.components(separatedBy: ";\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        switch kind {
        case .sqlite:
            let queue = try DatabaseQueue(path: path)
            try await queue.write { db in for statement in statements { try db.execute(sql: statement) } }
            try queue.close()
        case .postgres:
            try await PostgresTestServer.admin(try #require(database)) { session in
                for statement in statements { try await session.execute(PostgresQuery(unsafeSQL: statement)) }
            }
        }
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

/// Cleans up the `MetadataFixture`s a test case made as soon as the case ends, so PostgreSQL
/// connections and databases do not outlive it (a test process can end before `deinit`'s
/// tasks do, leaving databases behind on a long-lived server).
struct MetadataCleanup: SuiteTrait, TestTrait, TestScoping {
    final class Fixtures: Sendable {
        let list = Mutex<[MetadataFixture]>([])
    }

    @TaskLocal static var current: Fixtures?

    var isRecursive: Bool { true }

    static func register(_ fixture: MetadataFixture) {
        current?.list.withLock { $0.append(fixture) }
    }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        guard testCase != nil else { return try await function() }
        let fixtures = Fixtures()
        defer { fixtures.list.withLock { $0.removeAll() } }
        do {
            try await Self.$current.withValue(fixtures) { try await function() }
        } catch {
            for fixture in fixtures.list.withLock({ $0 }) { await fixture.cleanUp() }
            throw error
        }
        for fixture in fixtures.list.withLock({ $0 }) { await fixture.cleanUp() }
    }
}

extension Trait where Self == MetadataCleanup {
    /// Cleans up each test case's metadata fixtures when the case ends.
    static var metadataCleanup: Self { MetadataCleanup() }
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
