import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PostgresNIO
import WardenCore

/// PostgreSQL's errors as the errors a user sees: one line naming the server and what failed.
extension PostgresMetadataStore {
    /// SQLSTATE codes the store tells apart.
    enum SQLState {
        static let uniqueViolation = "23505"
        static let foreignKeyViolation = "23503"
        static let checkViolation = "23514"
        static let invalidPassword = "28P01"
        static let invalidAuthorization = "28000"
        static let unknownDatabase = "3D000"
    }

    /// The SQLSTATE of a server error, nil for anything else.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// Any error from postgres-nio as a `WardenError`; a `WardenError` passes through.
    static func translate(_ error: any Error, location: PostgresLocation) -> WardenError {
        if let error = error as? WardenError { return error }
        let server = "PostgreSQL at \(location)"
        if let error = error as? PSQLError {
            if let info = error.serverInfo {
                let message = info[.message] ?? "an error without a message"
                switch info[.sqlState] {
                case SQLState.invalidPassword, SQLState.invalidAuthorization:
                    return WardenError(.ioFailure, "cannot connect to \(server): \(message); check the user and password in the URL", cause: error)
                case SQLState.unknownDatabase:
                    return WardenError(.ioFailure, "cannot connect to \(server): \(message); create it (createdb) or fix the URL's database", cause: error)
                case SQLState.uniqueViolation, SQLState.foreignKeyViolation, SQLState.checkViolation:
                    return WardenError(.conflict, "the registry refused the change: \(message)", cause: error)
                case let state? where state.hasPrefix("22"):
                    return WardenError(.invalidArgument, "\(server) refused a value: \(message)", cause: error)
                case let state? where state.hasPrefix("40"):
                    return WardenError(.ioFailure, "\(server) rolled the change back (\(message)); try again", cause: error)
                default:
                    return WardenError(.ioFailure, "the metadata database at \(location) failed: \(message)", cause: error)
                }
            }
            return WardenError(.ioFailure, "cannot connect to \(server): \(connectionProblem(error)); check that it runs and accepts connections there", cause: error)
        }
        return WardenError(.ioFailure, "cannot reach \(server): \(error); check that it runs and accepts connections there", cause: error)
    }

    /// What went wrong below the protocol, in words: postgres-nio's own description hides detail on purpose.
    private static func connectionProblem(_ error: PSQLError) -> String {
        if let underlying = error.underlying {
            return socketProblem(underlying)
        }
        switch error.code {
        case .serverClosedConnection: return "the server closed the connection"
        case .clientClosedConnection, .poolClosed: return "the store is closed"
        case .sslUnsupported: return "the server does not offer TLS, which sslmode=require needs"
        case .unsupportedAuthMechanism, .authMechanismRequiresPassword, .saslError: return "authentication failed (\(error.code)); check the user and password in the URL"
        default: return "\(error.code)"
        }
    }

    /// A failed connect in a few words: "connection refused", "no answer within 5 s", a name that does not resolve.
    private static func socketProblem(_ error: any Error) -> String {
        switch error {
        case let error as NIOConnectionError:
            if let failure = error.connectionErrors.first { return socketProblem(failure.error) }
            if error.dnsAError != nil || error.dnsAAAAError != nil { return "the host name '\(error.host)' does not resolve" }
            return "no address of '\(error.host)' answered"
        case let error as IOError:
            return String(cString: strerror(error.errnoCode)).lowercased()
        case ChannelError.connectTimeout(let timeout):
            return "no answer within \(timeout.nanoseconds / 1_000_000_000) s"
        default:
            return "\(error)"
        }
    }
}
