import Foundation

/// An API token as `GET /api/v1/tokens` lists it: never its secret.
public struct TokenResource: Sendable, Equatable, Codable {
    public var id: Int64
    public var name: String
    /// `reader`, `publisher`, `deployer` or `admin`.
    public var role: String
    public var createdAt: Date
    public var createdBy: String
    public var revoked: Bool
    public var revokedAt: Date?
    /// Only in the answer to `POST /api/v1/tokens`, the one time the secret is shown.
    public var token: String?

    public init(id: Int64, name: String, role: String, createdAt: Date, createdBy: String, revoked: Bool, revokedAt: Date?, token: String? = nil) {
        self.id = id
        self.name = name
        self.role = role
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.revoked = revoked
        self.revokedAt = revokedAt
        self.token = token
    }

    enum CodingKeys: String, CodingKey {
        case id, name, role, createdAt = "created_at", createdBy = "created_by", revoked, revokedAt = "revoked_at", token
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(role, forKey: .role)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(createdBy, forKey: .createdBy)
        try container.encode(revoked, forKey: .revoked)
        try container.encode(revokedAt, forKey: .revokedAt)
        try container.encodeIfPresent(token, forKey: .token)
    }
}

/// `GET /api/v1/tokens`.
public struct TokenList: Sendable, Equatable, Codable {
    public var tokens: [TokenResource]

    public init(tokens: [TokenResource]) {
        self.tokens = tokens
    }
}

/// `POST /api/v1/tokens`.
public struct CreateTokenRequest: Sendable, Equatable, Codable {
    public var role: String
    public var name: String?

    public init(role: String, name: String?) {
        self.role = role
        self.name = name
    }
}
