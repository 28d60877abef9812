import Foundation
import WardenCore

/// A registered model: a name that owns versions and aliases.
public struct ModelRecord: Sendable, Hashable {
    public var name: String
    public var description: String
    public var tags: [String]
    public var createdAt: Date
    public var updatedAt: Date
    public var createdBy: String

    public init(name: String, description: String = "", tags: [String] = [], createdAt: Date, updatedAt: Date, createdBy: String) {
        self.name = name
        self.description = description
        self.tags = tags
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.createdBy = createdBy
    }
}

/// One file of a version: its path inside the model and the blob that holds it.
public struct FileEntry: Sendable, Hashable {
    public var path: String
    public var digest: Digest
    public var size: Int64

    public init(path: String, digest: Digest, size: Int64) {
        self.path = path
        self.digest = digest
        self.size = size
    }
}

/// Where a version came from, as its card says.
public struct LineageRecord: Sendable, Hashable {
    public var parentName: String?
    public var parentVersion: SemanticVersion?
    public var dataset: Digest?
    public var codeRevision: String?
    public var runURL: String?

    public init(parentName: String? = nil, parentVersion: SemanticVersion? = nil, dataset: Digest? = nil, codeRevision: String? = nil, runURL: String? = nil) {
        self.parentName = parentName
        self.parentVersion = parentVersion
        self.dataset = dataset
        self.codeRevision = codeRevision
        self.runURL = runURL
    }

    public var isEmpty: Bool { parentName == nil && dataset == nil && codeRevision == nil && runURL == nil }
}

/// What a publisher asks the store to record; the registry has checked it.
public struct NewVersion: Sendable, Hashable {
    public var model: String
    public var version: SemanticVersion
    /// The OMS manifest root digest: the version's identity.
    public var manifestDigest: Digest
    public var files: [FileEntry]
    /// The signature bundle as the publisher sent it (JSON), or nil when unsigned.
    public var bundle: String?
    /// Key ids of the trusted keys that signed it.
    public var signers: [String]
    /// The model description (`ModelDescription.jsonObject`) as JSON text.
    public var descriptionJSON: String
    /// The bump the change from the baseline required, or nil for a first version.
    public var requiredBump: ChangeLevel?
    /// The version it was judged against.
    public var baseline: SemanticVersion?
    public var lineage: LineageRecord

    public init(
        model: String, version: SemanticVersion, manifestDigest: Digest, files: [FileEntry], bundle: String?, signers: [String],
        descriptionJSON: String, requiredBump: ChangeLevel?, baseline: SemanticVersion?, lineage: LineageRecord
    ) {
        self.model = model
        self.version = version
        self.manifestDigest = manifestDigest
        self.files = files
        self.bundle = bundle
        self.signers = signers
        self.descriptionJSON = descriptionJSON
        self.requiredBump = requiredBump
        self.baseline = baseline
        self.lineage = lineage
    }
}

/// A stored, immutable version: what was published (`content`, whose fields
/// read straight through: `record.model`, `record.files`) and what happened to it since.
@dynamicMemberLookup
public struct VersionRecord: Sendable, Hashable {
    public let content: NewVersion
    /// A yanked version stays resolvable by exact version but drops out of "latest".
    public var yanked: Bool
    public var yankReason: String?
    public var createdAt: Date
    public var createdBy: String

    public init(_ content: NewVersion, createdAt: Date, createdBy: String, yanked: Bool = false, yankReason: String? = nil) {
        self.content = content
        self.yanked = yanked
        self.yankReason = yankReason
        self.createdAt = createdAt
        self.createdBy = createdBy
    }

    public subscript<Value>(dynamicMember field: KeyPath<NewVersion, Value>) -> Value { content[keyPath: field] }

    public var totalSize: Int64 { content.files.reduce(0) { $0 + $1.size } }
}

/// An alias and the version it names now.
public struct AliasRecord: Sendable, Hashable {
    public var model: String
    public var alias: String
    public var version: SemanticVersion
    public var updatedAt: Date
    public var updatedBy: String

    public init(model: String, alias: String, version: SemanticVersion, updatedAt: Date, updatedBy: String) {
        self.model = model
        self.alias = alias
        self.version = version
        self.updatedAt = updatedAt
        self.updatedBy = updatedBy
    }
}

/// One move of an alias: who, when, from which version to which (nil: unset).
public struct AliasMove: Sendable, Hashable {
    public var model: String
    public var alias: String
    public var from: SemanticVersion?
    public var to: SemanticVersion?
    public var actor: String
    public var at: Date

    public init(model: String, alias: String, from: SemanticVersion?, to: SemanticVersion?, actor: String, at: Date) {
        self.model = model
        self.alias = alias
        self.from = from
        self.to = to
        self.actor = actor
        self.at = at
    }
}

/// What a token may do; each role includes the ones below it.
public enum Role: Int, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    case reader = 1
    case publisher = 2
    case deployer = 3
    case admin = 4

    public var description: String {
        switch self {
        case .reader: "reader"
        case .publisher: "publisher"
        case .deployer: "deployer"
        case .admin: "admin"
        }
    }

    public init?(name: String) {
        guard let role = Self.allCases.first(where: { $0.description == name.lowercased() }) else { return nil }
        self = role
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// An API token, as stored: never the secret, only its SHA-256.
public struct TokenRecord: Sendable, Hashable {
    public var id: Int64
    public var name: String
    public var role: Role
    public var secretHash: Digest
    public var createdAt: Date
    public var createdBy: String
    public var revokedAt: Date?

    public init(id: Int64, name: String, role: Role, secretHash: Digest, createdAt: Date, createdBy: String, revokedAt: Date? = nil) {
        self.id = id
        self.name = name
        self.role = role
        self.secretHash = secretHash
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.revokedAt = revokedAt
    }

    public var isRevoked: Bool { revokedAt != nil }
}

/// A change to the registry, in commit order. Servers and CI follow these;
/// the audit log (issue 7) is built over them.
public struct RegistryEvent: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case modelCreated = "model.created"
        case modelUpdated = "model.updated"
        case modelDeleted = "model.deleted"
        case versionCreated = "version.created"
        case versionYanked = "version.yanked"
        case versionUnyanked = "version.unyanked"
        case aliasSet = "alias.set"
        case aliasDeleted = "alias.deleted"
        case tokenCreated = "token.created"
        case tokenRevoked = "token.revoked"
        /// A server refused to load a version: unsigned, tampered or untrusted.
        case modelLoadRefused = "model.load_refused"
        case rolloutStarted = "rollout.started"
        case rolloutStepped = "rollout.stepped"
        case rolloutPaused = "rollout.paused"
        case rolloutResumed = "rollout.resumed"
        case rolloutPromoted = "rollout.promoted"
        case rolloutAborted = "rollout.aborted"
        case rollback = "rollback"
    }

    /// Strictly increasing, without gaps in commit order.
    public var sequence: Int64
    public var kind: Kind
    public var model: String?
    public var version: SemanticVersion?
    public var alias: String?
    public var actor: String
    public var at: Date
    /// Kind-specific detail as a JSON object (e.g. an alias move's `from` and `to`).
    public var detailJSON: String

    public init(sequence: Int64, kind: Kind, model: String?, version: SemanticVersion?, alias: String?, actor: String, at: Date, detailJSON: String = "{}") {
        self.sequence = sequence
        self.kind = kind
        self.model = model
        self.version = version
        self.alias = alias
        self.actor = actor
        self.at = at
        self.detailJSON = detailJSON
    }
}

/// A model's rollout as stored: the plan and the controller's state, as JSON the
/// serving side writes, so a restarted server carries on where it was.
public struct RolloutRecord: Sendable, Hashable {
    public var model: String
    public var stable: SemanticVersion
    public var candidate: SemanticVersion
    /// The plan (steps, interval, thresholds, routing) as JSON.
    public var plan: String
    /// The controller's state (step, failed windows, verdicts) as JSON.
    public var state: String
    /// `progressing`, `paused`, `promoted`, `aborted` or `rolled_back`.
    public var phase: String
    /// The candidate's share of traffic now, in percent.
    public var weight: Int
    public var startedAt: Date
    public var startedBy: String
    public var updatedAt: Date

    public init(model: String, stable: SemanticVersion, candidate: SemanticVersion, plan: String, state: String, phase: String, weight: Int, startedAt: Date, startedBy: String, updatedAt: Date) {
        self.model = model
        self.stable = stable
        self.candidate = candidate
        self.plan = plan
        self.state = state
        self.phase = phase
        self.weight = weight
        self.startedAt = startedAt
        self.startedBy = startedBy
        self.updatedAt = updatedAt
    }

    public var isActive: Bool { phase == "progressing" || phase == "paused" }
}

/// One page of a listing and the cursor for the next (nil on the last page).
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}
