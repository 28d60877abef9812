import Foundation

/// An alias and the version it points at.
public struct AliasResource: Sendable, Equatable, Codable {
    public var model: String
    public var alias: String
    public var version: String
    public var updatedAt: Date
    public var updatedBy: String

    public init(model: String, alias: String, version: String, updatedAt: Date, updatedBy: String) {
        self.model = model
        self.alias = alias
        self.version = version
        self.updatedAt = updatedAt
        self.updatedBy = updatedBy
    }

    enum CodingKeys: String, CodingKey {
        case model, alias, version, updatedAt = "updated_at", updatedBy = "updated_by"
    }
}

/// `GET /api/v1/models/{model}/aliases`.
public struct AliasList: Sendable, Equatable, Codable {
    public var model: String
    public var aliases: [AliasResource]

    public init(model: String, aliases: [AliasResource]) {
        self.model = model
        self.aliases = aliases
    }
}

/// One move of an alias: set (`from` null), moved, or removed (`to` null).
public struct AliasMoveResource: Sendable, Equatable, Codable {
    public var model: String
    public var alias: String
    public var from: String?
    public var to: String?
    public var actor: String
    public var at: Date

    public init(model: String, alias: String, from: String?, to: String?, actor: String, at: Date) {
        self.model = model
        self.alias = alias
        self.from = from
        self.to = to
        self.actor = actor
        self.at = at
    }

    enum CodingKeys: String, CodingKey {
        case model, alias, from, to, actor, at
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(model, forKey: .model)
        try container.encode(alias, forKey: .alias)
        try container.encode(from, forKey: .from)
        try container.encode(to, forKey: .to)
        try container.encode(actor, forKey: .actor)
        try container.encode(at, forKey: .at)
    }
}

/// `GET …/aliases/{alias}/history` and `…/alias-history`, newest first.
public struct AliasHistory: Sendable, Equatable, Codable {
    public var model: String
    public var history: [AliasMoveResource]

    public init(model: String, history: [AliasMoveResource]) {
        self.model = model
        self.history = history
    }
}

/// `PUT /api/v1/models/{model}/aliases/{alias}`.
public struct SetAliasRequest: Sendable, Equatable, Codable {
    public var version: String

    public init(version: String) {
        self.version = version
    }
}
