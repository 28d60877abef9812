import Foundation
import PostgresNIO
import WardenCore

/// Where a PostgreSQL metadata database is, from a URL such as
/// `postgres://warden:secret@127.0.0.1:5432/warden`.
///
/// The password is kept for connecting and never shown: `description` (what error
/// messages and logs print) is `host:port/database` with the user, without it.
///
/// ```swift
/// let location = try PostgresLocation(url: "postgres://warden:secret@db.internal:5432/warden?sslmode=require")
/// ```
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    /// How the connection uses TLS, as libpq's `sslmode` names it.
    public enum TLSMode: String, Sendable, Hashable, CaseIterable {
        /// Plain TCP; for loopback and trusted networks.
        case disable
        /// TLS when the server offers it, plain otherwise (libpq's default).
        case prefer
        /// TLS with the server's certificate verified, or no connection.
        case require
    }

    public var host: String
    public var port: Int
    public var username: String
    var password: String?
    public var database: String
    public var tls: TLSMode

    /// - Throws: `.invalidArgument` naming what is wrong with the URL (the password is never repeated).
    public init(url text: String) throws {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw Self.invalid(text, "it cannot be read as a URL")
        }
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw Self.invalid(text, "its scheme is '\(scheme)', not postgres")
        }
        guard let host = components.host, !host.isEmpty else { throw Self.invalid(text, "it names no host") }
        guard let user = components.user, !user.isEmpty else { throw Self.invalid(text, "it names no user") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw Self.invalid(text, "it names no database (the path after the port, such as /warden)")
        }
        if let port = components.port, !(1...65535).contains(port) {
            throw Self.invalid(text, "its port \(port) is not between 1 and 65535")
        }
        var tls = TLSMode.prefer
        for item in components.queryItems ?? [] {
            guard item.name == "sslmode" else {
                throw Self.invalid(text, "it has the unknown option '\(item.name)' (only sslmode is understood)")
            }
            guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                throw Self.invalid(text, "sslmode must be one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", ")), not '\(item.value ?? "")'")
            }
            tls = mode
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = components.percentEncodedUser?.removingPercentEncoding ?? user
        self.password = components.percentEncodedPassword?.removingPercentEncoding
        self.database = database.removingPercentEncoding ?? database
        self.tls = tls
    }

    /// `host:port`, as the error messages name the server.
    public var description: String { "\(host):\(port)" }

    /// The same server and credentials, another database (for tests that make their own).
    public func with(database: String) -> PostgresLocation {
        var copy = self
        copy.database = database
        return copy
    }

    /// The URL with the password replaced by `***`, for messages.
    public var redactedURL: String {
        "postgres://\(username)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)"
    }

    var clientConfiguration: PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: clientTLS
        )
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    /// - Throws: `.ioFailure` when TLS is wanted and no TLS context can be made.
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: try connectionTLS()
        )
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    private var clientTLS: PostgresClient.Configuration.TLS {
        switch tls {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
    }

    private func connectionTLS() throws -> PostgresConnection.Configuration.TLS {
        guard tls != .disable else { return .disable }
        do {
            let context = try NIOSSLContext(configuration: .makeClientConfiguration())
            return tls == .prefer ? .prefer(context) : .require(context)
        } catch {
            throw WardenError(.ioFailure, "cannot set up TLS for PostgreSQL at \(self): \(error); use sslmode=disable on a trusted network", cause: error)
        }
    }

    private static func invalid(_ text: String, _ reason: String) -> WardenError {
        WardenError(
            .invalidArgument,
            "'\(redact(text))' is not a PostgreSQL URL: \(reason); write postgres://USER:PASSWORD@HOST:PORT/DATABASE"
        )
    }

    /// The text with anything between `//user:` and `@` hidden, so a password never reaches a log.
    static func redact(_ text: String) -> String {
        guard let scheme = text.range(of: "://"), let at = text.range(of: "@", range: scheme.upperBound..<text.endIndex),
              let colon = text.range(of: ":", range: scheme.upperBound..<at.lowerBound) else { return text }
        return text.replacingCharacters(in: colon.upperBound..<at.lowerBound, with: "***")
    }
}
