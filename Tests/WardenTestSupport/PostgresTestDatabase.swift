import Foundation
import Logging
import PostgresNIO
import WardenCore

/// The PostgreSQL server the tests use, from `WARDEN_TEST_POSTGRES_URL`
/// (postgres://USER:PASS@127.0.0.1:PORT/DB, as scripts/postgres-test-server.sh prints it);
/// each test makes a database of its own with `create()`.
public enum PostgresTestDatabase {
    public static let serverURL: String? = ProcessInfo.processInfo.environment["WARDEN_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    public static var isConfigured: Bool { serverURL != nil }
    public static let skipReason = "WARDEN_TEST_POSTGRES_URL is not set; scripts/test.sh starts a PostgreSQL server and sets it"

    /// Creates `warden_test_<random>` on the server and returns its URL.
    public static func create() async throws -> String {
        let name = "warden_test_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())"
        // A database name cannot be a bound parameter; this one is made here of hex digits only.
        try await onServer(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        return try url(database: name)
    }

    /// Drops a database made by `create()` (given by name or URL), disconnecting whoever is still on it.
    public static func drop(_ database: String) async {
        let name = database.split(separator: "/").last.map(String.init) ?? database
        guard name.hasPrefix("warden_test_"), name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return }
        try? await onServer(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
    }

    /// The server's URL with another database.
    public static func url(database: String) throws -> String {
        guard let serverURL, var components = URLComponents(string: serverURL) else { throw WardenError(.invalidArgument, skipReason) }
        components.path = "/" + database
        guard let url = components.string else { throw WardenError(.invalidArgument, "cannot point \(serverURL) at \(database)") }
        return url
    }

    /// Runs one statement on the database the server URL names.
    private static func onServer(_ query: PostgresQuery) async throws {
        guard let serverURL, let components = URLComponents(string: serverURL), let host = components.host, let user = components.user else {
            throw WardenError(.invalidArgument, skipReason)
        }
        let configuration = PostgresConnection.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: components.password,
            database: String(components.path.dropFirst()), tls: .disable
        )
        let logger = Logger(label: "warden.tests.postgres")
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        // postgres-nio requires a connection to be closed before it goes.
        do {
            for try await _ in try await connection.query(query, logger: logger) {}
        } catch {
            try? await connection.close()
            throw error
        }
        try? await connection.close()
    }
}
