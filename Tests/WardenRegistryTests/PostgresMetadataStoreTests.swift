import Foundation
import PostgresNIO
import Testing
import WardenCore
@testable import WardenRegistry

/// What only the PostgreSQL store has: a server to reach, a URL to read, migrations that
/// several processes may run at once, and changes that arrive through LISTEN/NOTIFY.
/// Needs WARDEN_TEST_POSTGRES_URL; skipped (visibly) without it.
@Suite("The PostgreSQL metadata store", .enabled(if: PostgresTestServer.isConfigured, Comment(rawValue: PostgresTestServer.skipReason)), .metadataCleanup)
struct PostgresMetadataStoreTests {
    /// How long a change made through one store may take to wake another's followers.
    static let wakeLimit: Duration = .seconds(1)

    /// Waits (at most 5 s) for `store`'s change signal to move beyond `seen`; returns when it woke.
    static func wake(_ store: any MetadataStore, beyond seen: UInt64) async -> ContinuousClock.Instant {
        await store.changeSignal.wait(beyond: seen, timeout: .seconds(5))
        return ContinuousClock.now
    }

    /// Writes through `writer` while `follower` waits, and returns how long after the commit the
    /// follower woke (zero when the notification came before the writer's call returned). Measured
    /// from the commit, not from the call: on a loaded machine the write itself may take a while.
    static func wakeDelay(writer: any MetadataStore, follower: any MetadataStore, _ write: @Sendable (any MetadataStore) async throws -> Void) async throws -> Duration {
        let seen = follower.changeSignal.generation
        async let woke = wake(follower, beyond: seen)
        try await write(writer)
        let committed = ContinuousClock.now
        return max(.zero, await woke - committed)
    }

    @Test("a write through one store wakes another store's change follower within 1 s")
    func notifyWakesAnotherStore() async throws {
        let fixture = try await MetadataFixture(.postgres)
        let other = try await fixture.another()
        for index in 0..<3 {
            let seen = other.changeSignal.generation
            let before = try await other.latestEventSequence()
            let elapsed = try await Self.wakeDelay(writer: fixture.store, follower: other) { store in
                _ = try await store.createModel(name: "m\(index)", description: "", tags: [], actor: "alice")
            }
            #expect(elapsed < Self.wakeLimit, "woken \(elapsed) after the commit")
            #expect(other.changeSignal.generation > seen)
            #expect(try await other.events(after: before, limit: 10).map(\.model) == ["m\(index)"])
        }
    }

    @Test("the listener reconnects when its connection is killed, signals once, and keeps waking followers")
    func listenerReconnects() async throws {
        let fixture = try await MetadataFixture(.postgres)
        let database = try #require(fixture.database)
        let other = try #require(try await fixture.another() as? PostgresMetadataStore)
        let seen = other.changeSignal.generation
        let killed = try await PostgresTestServer.admin(database) { session in
            try await session.rows("""
                SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
                WHERE datname = \(database.database) AND query ILIKE 'LISTEN%'
                """).count
        }
        #expect(killed == 2, "both stores' listeners")
        // After reconnecting it signals once, so followers re-read what they may have missed.
        try await waitUntil("the listener reconnected", within: .seconds(10)) { other.changeSignal.generation > seen }
        try await waitUntil("the listener is back", within: .seconds(10)) {
            try await PostgresTestServer.admin(database) { session in
                try await session.rows("SELECT pid FROM pg_stat_activity WHERE datname = \(database.database) AND query ILIKE 'LISTEN%'").count == 2
            }
        }
        let elapsed = try await Self.wakeDelay(writer: fixture.store, follower: other) { store in
            _ = try await store.createModel(name: "after", description: "", tags: [], actor: "alice")
        }
        #expect(elapsed < Self.wakeLimit, "woken \(elapsed) after the commit")
    }

    @Test("two processes opening a new database at once migrate it once")
    func concurrentMigrations() async throws {
        let database = try await PostgresTestServer.createDatabase()
        let stores = try await withThrowingTaskGroup(of: PostgresMetadataStore.self) { group in
            for _ in 0..<3 { group.addTask { try await PostgresMetadataStore(location: database) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let versions = try await PostgresTestServer.admin(database) { session in
            try await session.rows("SELECT version FROM schema_migrations ORDER BY version").map { try $0.integer("version") }
        }
        #expect(versions == Array(1...Int64(PostgresMetadataStore.migrations.count)))
        _ = try await stores[0].createModel(name: "m", description: "", tags: [], actor: "alice")
        #expect(try await stores[2].model(named: "m")?.createdBy == "alice")
        for store in stores { await store.close() }
        // Opening again applies nothing and keeps the data.
        let reopened = try await PostgresMetadataStore(location: database)
        #expect(try await reopened.model(named: "m") != nil)
        await reopened.close()
        await PostgresTestServer.dropDatabase(database.database)
    }

    @Test("a database with a newer schema is refused, saying to upgrade")
    func newerSchema() async throws {
        let fixture = try await MetadataFixture(.postgres)
        try await fixture.tamper("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 0)")
        await expectAsyncWardenError(.ioFailure, containing: ["schema version 99", "upgrade warden"]) {
            _ = try await fixture.another()
        }
    }

    // MARK: Errors a user sees

    @Test("a wrong password is one line naming the server and the credentials")
    func wrongPassword() async throws {
        var location = try PostgresTestServer.location()
        location.password = "not-the-password"
        await expectAsyncWardenError(.ioFailure, containing: [
            "cannot connect to PostgreSQL at \(location.host):\(location.port)", "password authentication failed", "check the user and password",
        ]) {
            _ = try await PostgresMetadataStore(location: location)
        }
        do {
            _ = try await PostgresMetadataStore(location: location)
        } catch let error as WardenError {
            #expect(!error.message.contains("\n") && !error.message.contains("not-the-password"), "\(error.message)")
        }
    }

    @Test("an unknown database is named, with what to do")
    func unknownDatabase() async throws {
        let location = try PostgresTestServer.location().with(database: "warden_no_such_database")
        await expectAsyncWardenError(.ioFailure, containing: ["cannot connect to PostgreSQL at", "warden_no_such_database", "does not exist", "createdb"]) {
            _ = try await PostgresMetadataStore(location: location)
        }
    }

    @Test("an unreachable server is one line naming it")
    func unreachableServer() async throws {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        let location = try PostgresTestServer.location()
        let url = "postgres://\(location.username):secret@127.0.0.1:1/warden?sslmode=disable"
        await expectAsyncWardenError(.ioFailure, containing: ["cannot connect to PostgreSQL at 127.0.0.1:1: connection refused; check that it runs"]) {
            _ = try await PostgresMetadataStore(url: url)
        }
    }
}

/// URLs a user may get wrong: refused before any connection, the password never repeated.
@Suite("PostgreSQL URLs")
struct PostgresLocationTests {
    @Test func aGoodURLIsRead() throws {
        let location = try PostgresLocation(url: "postgres://warden:s%40cret@127.0.0.1:5433/registry?sslmode=disable")
        #expect(location.host == "127.0.0.1" && location.port == 5433 && location.database == "registry")
        #expect(location.username == "warden" && location.password == "s@cret" && location.tls == .disable)
        #expect(location.description == "127.0.0.1:5433")
        #expect(location.redactedURL == "postgres://warden:***@127.0.0.1:5433/registry")
        #expect(try PostgresLocation(url: "postgresql://u@db/x").port == 5432)
        #expect(try PostgresLocation(url: "postgresql://u@db/x").tls == .prefer)
    }

    @Test(arguments: [
        ("mysql://warden:pw@127.0.0.1/warden", "its scheme is 'mysql'"),
        ("postgres://warden:pw@127.0.0.1:5432", "names no database"),
        ("postgres://127.0.0.1:5432/warden", "names no user"),
        ("postgres://warden:pw@:5432/warden", "names no host"),
        ("postgres://warden:pw@127.0.0.1:5432/warden?sslmode=sometimes", "sslmode must be one of disable, prefer, require"),
        ("postgres://warden:pw@127.0.0.1:5432/warden?pool=3", "unknown option 'pool'"),
        ("not a url at all", "not a PostgreSQL URL"),
    ])
    func aBadURLIsRefused(url: String, reason: String) async throws {
        await expectAsyncWardenError(.invalidArgument, containing: [reason, "postgres://USER:PASSWORD@HOST:PORT/DATABASE"]) {
            _ = try await PostgresMetadataStore(url: url)
        }
        do {
            _ = try PostgresLocation(url: url)
        } catch let error as WardenError {
            #expect(!error.message.contains(":pw@"), "the password is shown: \(error.message)")
        }
    }
}
