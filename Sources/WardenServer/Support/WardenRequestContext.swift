import Hummingbird
import WardenCore
import WardenRegistry

/// Who is calling: the token's name and role, or anonymous.
public struct Identity: Sendable, Hashable {
    public let name: String
    /// nil for an anonymous caller.
    public let role: Role?

    public static let anonymous = Identity(name: "anonymous", role: nil)
}

/// The request context of every route: the caller's identity, set by `AuthMiddleware`.
public struct WardenRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var identity: Identity = .anonymous
    /// Set by `AuthMiddleware` from the server's configuration.
    public var allowAnonymousRead = false

    public init(source: Source) {
        coreContext = .init(source: source)
    }

    /// Request bodies decoded whole (JSON) are small; blobs stream and have their own limit.
    public var maxUploadSize: Int { 16 << 20 }

    /// The caller's name, recorded as the actor of every change.
    public var actor: String { identity.name }

    /// Checks the caller may do what needs `role`.
    /// - Throws: `.unauthenticated` (401) without a token, `.forbidden` (403) with too low a role.
    public func require(_ role: Role) throws {
        if role == .reader, allowAnonymousRead { return }
        guard let have = identity.role else {
            throw WardenError(.unauthenticated, "this needs a token with role \(role) or higher; pass it as 'Authorization: Bearer TOKEN' (warden --token or WARDEN_TOKEN)")
        }
        guard have >= role else {
            throw WardenError(.forbidden, "token '\(identity.name)' has role \(have), but this needs \(role) or higher; ask an admin for a \(role) token (warden token create --role \(role))")
        }
    }
}
