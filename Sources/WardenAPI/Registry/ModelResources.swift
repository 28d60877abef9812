import Foundation

/// A model as `GET /api/v1/models` lists it and `POST`/`PATCH` answer with it.
public struct ModelResource: Sendable, Equatable, Codable {
    public var name: String
    public var description: String
    public var tags: [String]
    public var createdAt: Date
    public var updatedAt: Date
    public var createdBy: String

    public init(name: String, description: String, tags: [String], createdAt: Date, updatedAt: Date, createdBy: String) {
        self.name = name
        self.description = description
        self.tags = tags
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.createdBy = createdBy
    }

    enum CodingKeys: String, CodingKey {
        case name, description, tags
        case createdAt = "created_at", updatedAt = "updated_at", createdBy = "created_by"
    }
}

/// `GET /api/v1/models/{model}`: the model, with its version count, latest version and aliases.
public struct ModelDetail: Sendable, Equatable, Codable {
    public var model: ModelResource
    public var versionCount: Int
    /// The highest version that is neither yanked nor a pre-release (else the highest not yanked).
    public var latest: String?
    public var aliases: [AliasResource]

    public init(model: ModelResource, versionCount: Int, latest: String?, aliases: [AliasResource]) {
        self.model = model
        self.versionCount = versionCount
        self.latest = latest
        self.aliases = aliases
    }

    enum CodingKeys: String, CodingKey {
        case versionCount = "version_count", latest, aliases
    }

    public init(from decoder: any Decoder) throws {
        model = try ModelResource(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        versionCount = try container.decode(Int.self, forKey: .versionCount)
        latest = try container.decodeIfPresent(String.self, forKey: .latest)
        aliases = try container.decode([AliasResource].self, forKey: .aliases)
    }

    public func encode(to encoder: any Encoder) throws {
        try model.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(versionCount, forKey: .versionCount)
        try container.encode(latest, forKey: .latest)
        try container.encode(aliases, forKey: .aliases)
    }
}

/// `GET /api/v1/models`: one page of models.
public struct ModelList: Sendable, Equatable, Codable {
    public var models: [ModelResource]
    /// Pass as `cursor` for the next page; null on the last.
    public var nextCursor: String?

    public init(models: [ModelResource], nextCursor: String?) {
        self.models = models
        self.nextCursor = nextCursor
    }

    enum CodingKeys: String, CodingKey {
        case models, nextCursor = "next_cursor"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(models, forKey: .models)
        try container.encode(nextCursor, forKey: .nextCursor)
    }
}

/// `PATCH /api/v1/models/{model}`: what to change; an absent field stays as it is.
public struct UpdateModelRequest: Sendable, Equatable, Codable {
    public var description: String?
    public var tags: [String]?

    public init(description: String? = nil, tags: [String]? = nil) {
        self.description = description
        self.tags = tags
    }
}
