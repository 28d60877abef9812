import Foundation

/// A version as listings show it: `GET …/versions`, yank and unyank answers, lineage queries.
public struct VersionSummary: Sendable, Equatable, Codable {
    public var model: String
    public var version: String
    /// The OpenSSF Model Signing subject digest: the version's identity.
    public var manifestDigest: String
    public var size: Int64
    public var fileCount: Int
    public var signed: Bool
    public var signers: [String]
    public var yanked: Bool
    public var yankReason: String?
    public var createdAt: Date
    public var createdBy: String
    /// The bump the change from `baseline` required (`major`, `minor`, `patch`), when known.
    public var requiredBump: String?
    public var baseline: String?

    public init(
        model: String, version: String, manifestDigest: String, size: Int64, fileCount: Int, signed: Bool, signers: [String],
        yanked: Bool, yankReason: String?, createdAt: Date, createdBy: String, requiredBump: String?, baseline: String?
    ) {
        self.model = model
        self.version = version
        self.manifestDigest = manifestDigest
        self.size = size
        self.fileCount = fileCount
        self.signed = signed
        self.signers = signers
        self.yanked = yanked
        self.yankReason = yankReason
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.requiredBump = requiredBump
        self.baseline = baseline
    }

    enum CodingKeys: String, CodingKey {
        case model, version, manifestDigest = "manifest_digest", size, fileCount = "file_count", signed, signers, yanked
        case yankReason = "yank_reason", createdAt = "created_at", createdBy = "created_by", requiredBump = "required_bump", baseline
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(model, forKey: .model)
        try container.encode(version, forKey: .version)
        try container.encode(manifestDigest, forKey: .manifestDigest)
        try container.encode(size, forKey: .size)
        try container.encode(fileCount, forKey: .fileCount)
        try container.encode(signed, forKey: .signed)
        try container.encode(signers, forKey: .signers)
        try container.encode(yanked, forKey: .yanked)
        try container.encode(yankReason, forKey: .yankReason)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(createdBy, forKey: .createdBy)
        try container.encode(requiredBump, forKey: .requiredBump)
        try container.encode(baseline, forKey: .baseline)
    }
}

/// One file of a version.
public struct FileResource: Sendable, Equatable, Codable {
    public var path: String
    public var digest: String
    public var size: Int64

    public init(path: String, digest: String, size: Int64) {
        self.path = path
        self.digest = digest
        self.size = size
    }
}

/// Where a version came from, as its model card says.
public struct LineageResource: Sendable, Equatable, Codable {
    /// `model@version`.
    public var parent: String?
    public var dataset: String?
    public var codeRevision: String?
    public var runURL: String?

    public init(parent: String?, dataset: String?, codeRevision: String?, runURL: String?) {
        self.parent = parent
        self.dataset = dataset
        self.codeRevision = codeRevision
        self.runURL = runURL
    }

    enum CodingKeys: String, CodingKey {
        case parent, dataset, codeRevision = "code_revision", runURL = "run_url"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(parent, forKey: .parent)
        try container.encode(dataset, forKey: .dataset)
        try container.encode(codeRevision, forKey: .codeRevision)
        try container.encode(runURL, forKey: .runURL)
    }
}

/// A version with everything: `GET …/versions/{version}`, `…/latest`, and the publish answer.
public struct VersionDetail: Sendable, Equatable, Codable {
    public var summary: VersionSummary
    public var files: [FileResource]
    public var lineage: LineageResource
    /// The model description (format, inputs and outputs, card), as docs/model-card.md shows.
    public var description: JSONValue
    /// In the publish answer only: false when the same content was already published.
    public var created: Bool?

    public init(summary: VersionSummary, files: [FileResource], lineage: LineageResource, description: JSONValue, created: Bool? = nil) {
        self.summary = summary
        self.files = files
        self.lineage = lineage
        self.description = description
        self.created = created
    }

    enum CodingKeys: String, CodingKey {
        case files, lineage, description, created
    }

    public init(from decoder: any Decoder) throws {
        summary = try VersionSummary(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        files = try container.decode([FileResource].self, forKey: .files)
        lineage = try container.decode(LineageResource.self, forKey: .lineage)
        description = try container.decode(JSONValue.self, forKey: .description)
        created = try container.decodeIfPresent(Bool.self, forKey: .created)
    }

    public func encode(to encoder: any Encoder) throws {
        try summary.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(files, forKey: .files)
        try container.encode(lineage, forKey: .lineage)
        try container.encode(description, forKey: .description)
        try container.encodeIfPresent(created, forKey: .created)
    }
}

/// `GET /api/v1/models/{model}/versions`, oldest first in SemVer order.
public struct VersionList: Sendable, Equatable, Codable {
    public var model: String
    public var versions: [VersionSummary]

    public init(model: String, versions: [VersionSummary]) {
        self.model = model
        self.versions = versions
    }
}

/// `GET /api/v1/lineage?dataset=…`: the versions trained on a dataset.
public struct DatasetVersions: Sendable, Equatable, Codable {
    public var dataset: String
    public var versions: [VersionSummary]

    public init(dataset: String, versions: [VersionSummary]) {
        self.dataset = dataset
        self.versions = versions
    }
}

/// `POST /api/v1/models/{model}/versions`: the files (uploaded as blobs first) and the
/// signature bundle that make a version.
public struct PublishRequest: Sendable, Equatable, Codable {
    public var version: String
    public var files: [FileResource]
    /// The Sigstore bundle (DSSE envelope) `model_signing` or `warden sign` wrote.
    public var bundle: JSONValue?

    public init(version: String, files: [FileResource], bundle: JSONValue?) {
        self.version = version
        self.files = files
        self.bundle = bundle
    }
}

/// `POST …/versions/{version}/yank`.
public struct YankRequest: Sendable, Equatable, Codable {
    public var reason: String?

    public init(reason: String?) {
        self.reason = reason
    }
}

/// `GET …/versions/{version}/lineage`: the version's lineage, its parent and its children.
public struct LineageGraph: Sendable, Equatable, Codable {
    public struct Parent: Sendable, Equatable, Codable {
        public var model: String
        public var version: String
        /// Whether the parent is a version in this registry.
        public var registered: Bool

        public init(model: String, version: String, registered: Bool) {
            self.model = model
            self.version = version
            self.registered = registered
        }
    }

    public struct Child: Sendable, Equatable, Codable {
        public var model: String
        public var version: String

        public init(model: String, version: String) {
            self.model = model
            self.version = version
        }
    }

    public var model: String
    public var version: String
    public var lineage: LineageResource
    public var parent: Parent?
    public var children: [Child]

    public init(model: String, version: String, lineage: LineageResource, parent: Parent?, children: [Child]) {
        self.model = model
        self.version = version
        self.lineage = lineage
        self.parent = parent
        self.children = children
    }

    enum CodingKeys: String, CodingKey {
        case model, version, lineage, parent, children
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(model, forKey: .model)
        try container.encode(version, forKey: .version)
        try container.encode(lineage, forKey: .lineage)
        try container.encode(parent, forKey: .parent)
        try container.encode(children, forKey: .children)
    }
}
