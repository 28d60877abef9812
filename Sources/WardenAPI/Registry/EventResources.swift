import Foundation

/// One committed change, as `GET /api/v1/events` returns it.
public struct EventResource: Sendable, Equatable, Codable {
    public var sequence: Int64
    /// `version.created`, `alias.moved`, `rollout.started`, … (docs/api.md lists them).
    public var kind: String
    public var actor: String
    public var at: Date
    public var model: String?
    public var version: String?
    public var alias: String?
    /// What the kind carries (a rollout's plan, a refusal's reason).
    public var detail: [String: JSONValue]

    public init(sequence: Int64, kind: String, actor: String, at: Date, model: String?, version: String?, alias: String?, detail: [String: JSONValue]) {
        self.sequence = sequence
        self.kind = kind
        self.actor = actor
        self.at = at
        self.model = model
        self.version = version
        self.alias = alias
        self.detail = detail
    }

    enum CodingKeys: String, CodingKey {
        case sequence, kind, actor, at, model, version, alias, detail
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sequence, forKey: .sequence)
        try container.encode(kind, forKey: .kind)
        try container.encode(actor, forKey: .actor)
        try container.encode(at, forKey: .at)
        try container.encode(model, forKey: .model)
        try container.encode(version, forKey: .version)
        try container.encode(alias, forKey: .alias)
        try container.encode(detail, forKey: .detail)
    }
}

/// `GET /api/v1/events?since=N`: events after `since`, and where the next call starts.
public struct EventList: Sendable, Equatable, Codable {
    public var events: [EventResource]
    /// The last sequence returned (or `since` when there were none).
    public var next: Int64

    public init(events: [EventResource], next: Int64) {
        self.events = events
        self.next = next
    }
}

/// `PUT /api/v1/blobs/{digest}`: the stored blob.
public struct BlobUploadResult: Sendable, Equatable, Codable {
    public var digest: String
    public var size: Int64
    /// False when the registry already held the blob.
    public var created: Bool

    public init(digest: String, size: Int64, created: Bool) {
        self.digest = digest
        self.size = size
        self.created = created
    }
}
