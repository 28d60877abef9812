import HTTPTypes
import Hummingbird
import WardenCore
import WardenRegistry

/// Reads `Authorization: Bearer TOKEN`, looks the token up by its SHA-256 and
/// puts the caller's identity in the context. A missing token leaves the
/// caller anonymous (routes decide with `context.require`); a wrong or revoked
/// token is refused at once.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = WardenRequestContext

    let registry: Registry
    let allowAnonymousRead: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.allowAnonymousRead = allowAnonymousRead
        if let header = request.headers[.authorization] {
            if header.trimmingCharacters(in: .whitespaces).lowercased() == "bearer" {
                throw WardenError(.unauthenticated, "the Authorization header holds 'Bearer' but no token after it; is WARDEN_TOKEN empty? Pass a token with --token or WARDEN_TOKEN")
            }
            guard header.lowercased().hasPrefix("bearer ") else {
                throw WardenError(.unauthenticated, "the Authorization header must be 'Bearer TOKEN'")
            }
            let secret = header.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
            guard let record = try await registry.token(secretHash: TokenSecret.hash(secret)) else {
                throw WardenError(.unauthenticated, "the token is not known to this server; check WARDEN_TOKEN or --token")
            }
            guard !record.isRevoked else {
                throw WardenError(.unauthenticated, "token '\(record.name)' was revoked; ask an admin for a new one")
            }
            context.identity = Identity(name: record.name, role: record.role)
            context.logger[metadataKey: "actor"] = "\(record.name)"
        }
        return try await next(request, context)
    }
}

/// Adds `x-request-id` (Hummingbird's per-request id, also in every log line) to responses.
struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        if let name = HTTPField.Name("x-request-id") {
            response.headers[name] = context.id
        }
        return response
    }
}
