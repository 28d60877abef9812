import Foundation
import Logging
import PostgresNIO
import Testing
import WardenCore
import WardenTestSupport
@testable import WardenRegistry

/// The metadata stores every shared test runs against, each on a fresh database.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    /// The kinds this run can test. PostgreSQL needs a server: `WARDEN_TEST_POSTGRES_URL`
    /// (scripts/test.sh starts one). Without it the PostgreSQL cases are left out, and
    /// `PostgresTestServer.announceSkip()` says so on stderr and as a skipped test
    /// (`PostgresAvailabilityTests`), so they never pass silently.
    static var available: [StoreKind] {
        PostgresTestServer.isConfigured ? allCases : (PostgresTestServer.announceSkip(), [.sqlite]).1
    }
}

/// The PostgreSQL server the tests use (`PostgresTestDatabase`, from `WARDEN_TEST_POSTGRES_URL`);
/// each test gets a database of its own.
enum PostgresTestServer {
    static var isConfigured: Bool { PostgresTestDatabase.isConfigured }
    static var skipReason: String { PostgresTestDatabase.skipReason }

    private static let announced: Void = {
        FileHandle.standardError.write(Data(
            "skipped: the PostgreSQL cases of the metadata-store suites (MetadataModelTests, MetadataVersionTests, MetadataAliasTests, MetadataTokenTests, MetadataEventTests, MetadataSharedDatabaseTests, AuditLogTests, PostgresMetadataStoreTests, RegistryPublishTests): \(skipReason)\n".utf8
        ))
    }()

    /// Prints, once per test process, which PostgreSQL cases are skipped and why.
    static func announceSkip() { announced }

    static func location() throws -> PostgresLocation {
        guard let url = PostgresTestDatabase.serverURL else { throw WardenError(.invalidArgument, skipReason) }
        return try PostgresLocation(url: url)
    }

    /// Creates `warden_test_<random>` on the server and returns where it is.
    static func createDatabase() async throws -> PostgresLocation {
        try PostgresLocation(url: try await PostgresTestDatabase.create())
    }

    /// Drops a database made by `createDatabase()`, disconnecting whoever is still on it.
    static func dropDatabase(_ database: String) async {
        await PostgresTestDatabase.drop(database)
    }

    /// Runs `body` on a connection to `location`'s database, then closes it.
    static func admin<T: Sendable>(_ location: PostgresLocation, _ body: (PostgresSession) async throws -> T) async throws -> T {
        let logger = Logger(label: "warden.tests.postgres")
        let connection = try await PostgresMetadataStore.connect(location, logger: logger)
        do {
            let value = try await body(PostgresSession(connection: connection, logger: logger))
            try? await connection.close()
            return value
        } catch {
            try? await connection.close()
            throw error
        }
    }
}

/// Present in every run: skipped, visibly, when no PostgreSQL server is configured, so the
/// report shows that the PostgreSQL cases of the shared suites did not run.
@Suite("PostgreSQL server for the metadata-store suites")
struct PostgresAvailabilityTests {
    // Skips (and shows as skipped) without WARDEN_TEST_POSTGRES_URL; see StoreKind.available.
    @Test("the PostgreSQL cases run against WARDEN_TEST_POSTGRES_URL", .enabled(if: PostgresTestServer.isConfigured, Comment(rawValue: PostgresTestServer.skipReason)))
    func serverAnswers() async throws {
        let version = try await PostgresTestServer.admin(try PostgresTestServer.location()) { session in
            try await session.one("SELECT current_setting('server_version_num') AS version").text("version")
        }
        #expect((Int(version) ?? 0) >= 130000, "PostgreSQL 13 or later is needed (DROP DATABASE ... WITH (FORCE)), found \(version)")
    }
}
