import Foundation
import Logging
import WardenCore
import WardenIntegrity
import WardenModel

/// The registry's rules over its two stores: publishing verified, immutable,
/// honestly numbered versions, and resolving references to them.
///
/// Publishing never trusts the client: the server lays the version's blobs
/// out as a model directory, re-hashes every byte, verifies the signature
/// against its own trust policy, inspects the model, and judges the version
/// number against the nearest lower release with the semver rule. Publishes
/// of one model are serialized, so two racing versions are both judged.
///
/// ```swift
/// let registry = Registry(metadata: store, blobs: blobs, configuration: .init(trust: policy, scratchDirectory: "data/tmp"))
/// let result = try await registry.publish(PublishRequest(model: "fraud", version: v, files: files, bundle: json), actor: "ci")
/// ```
public final class Registry: Sendable {
    /// The stores stay inside the module: every change goes through a method of the registry
    /// (Registry+Models, +Versions, +Aliases, +Tokens, +Rollouts, +Blobs, +Changes), which
    /// writes the record, its event and its audit entry together. Tests/ModuleBoundary checks
    /// that no other module reaches them.
    let metadata: any MetadataStore
    let blobs: any BlobStore
    public let configuration: RegistryConfiguration
    private let logger: Logger
    private let locks = KeyedLock()

    public init(metadata: any MetadataStore, blobs: any BlobStore, configuration: RegistryConfiguration, logger: Logger = Logger(label: "warden.registry")) {
        self.metadata = metadata
        self.blobs = blobs
        self.configuration = configuration
        self.logger = logger
    }

    // MARK: Publishing

    public struct PublishRequest: Sendable {
        public var model: String
        public var version: SemanticVersion
        public var files: [FileEntry]
        /// The OMS signature bundle (JSON bytes), or nil.
        public var bundle: [UInt8]?

        public init(model: String, version: SemanticVersion, files: [FileEntry], bundle: [UInt8]?) {
            self.model = model
            self.version = version
            self.files = files
            self.bundle = bundle
        }
    }

    public struct PublishResult: Sendable {
        public let version: VersionRecord
        /// False when the same content was already published under this version (a no-op).
        public let created: Bool
    }

    /// Publishes a version; creates the model on its first version.
    ///
    /// - Throws: `WardenError`: `.invalidArgument` (bad names, duplicate paths), `.notFound`
    ///   (blobs not uploaded, listed in the message), `.conflict` (the version exists with other
    ///   content), `.signatureRequired`, integrity verdicts from verification, model errors
    ///   from inspection, `.semverViolation` (with a `SemverRule.Violation` cause).
    public func publish(_ request: PublishRequest, actor: String) async throws -> PublishResult {
        try ModelReference.validateName(request.model)
        try Self.validate(request.files)
        var missing: [FileEntry] = []
        for file in request.files where try await blobs.size(of: file.digest) != file.size {
            missing.append(file)
        }
        if !missing.isEmpty {
            let names = missing.prefix(5).map { "\($0.path) (\($0.digest))" }.joined(separator: ", ")
            throw WardenError(.notFound, "\(missing.count) file(s) of \(request.model)@\(request.version) are not uploaded (or have another size): \(names); upload the blobs first")
        }

        return try await locks.withLock(request.model) {
            if let existing = try await self.metadata.version(of: request.model, request.version) {
                return try self.samePublish(existing, request)
            }
            return try await self.publishNew(request, actor: actor)
        }
    }

    /// Publishing the same files again is a no-op that returns the stored version (with its
    /// stored signature: a fresh ECDSA signature over the same content differs byte for byte).
    private func samePublish(_ existing: VersionRecord, _ request: PublishRequest) throws -> PublishResult {
        guard Set(existing.files) == Set(request.files) else {
            throw WardenError(
                .conflict,
                "\(request.model)@\(request.version) already exists with other content (\(existing.manifestDigest)); versions are immutable, publish a new version"
            )
        }
        return PublishResult(version: existing, created: false)
    }

    private func publishNew(_ request: PublishRequest, actor: String) async throws -> PublishResult {
        let candidateDirectory = try await layOut(request.files, label: "candidate")
        defer { try? FileManager.default.removeItem(atPath: candidateDirectory) }
        let configuration = configuration

        // Verify and describe the exact bytes stored, off the cooperative pool.
        let (manifest, signers, description) = try await offload { () throws -> (Manifest, [String], ModelDescription) in
            var signers: [String] = []
            let manifest: Manifest
            if let bytes = request.bundle {
                let bundle = try SignatureBundle(json: bytes)
                if let trust = configuration.trust {
                    let result = try Verifier(policy: trust).verify(model: candidateDirectory, bundle: bundle)
                    manifest = result.manifest
                    signers = result.signers.map(\.keyID)
                } else if configuration.requireSignature {
                    throw WardenError(.untrustedSignature, "the server trusts no keys, so no signature can verify; put the signers' *.pub keys in the server's trust directory")
                } else {
                    manifest = try ModelHasher().manifest(of: candidateDirectory)
                }
            } else if configuration.requireSignature {
                throw WardenError(.signatureRequired, "\(request.model)@\(request.version) is not signed and this registry requires signatures; sign it (warden sign, or warden push --sign KEY)")
            } else {
                manifest = try ModelHasher().manifest(of: candidateDirectory)
            }
            let digests = Dictionary(request.files.map { ($0.path, $0.digest) }, uniquingKeysWith: { first, _ in first })
            let description: ModelDescription
            do {
                description = try ModelDescription(contentsOf: candidateDirectory).withFileDigests(digests)
            } catch let error as WardenError {
                // The scratch folder means nothing to the user: name the version instead.
                throw WardenError(error.code, error.message.replacingOccurrences(of: candidateDirectory, with: "\(request.model)@\(request.version)"), cause: error.cause)
            }
            return (manifest, signers, description)
        }

        // The semver rule against the nearest lower release.
        let existing = try await metadata.versions(of: request.model)
        var required: ChangeLevel?
        let baseline = request.version.baseline(among: existing.map(\.version))
        if let baseline, let previous = existing.first(where: { $0.version == baseline }) {
            let previousDirectory = try await layOut(previous.files, label: "baseline")
            defer { try? FileManager.default.removeItem(atPath: previousDirectory) }
            let before = try await offload {
                try ModelDescription(contentsOf: previousDirectory)
                    .withFileDigests(Dictionary(previous.files.map { ($0.path, $0.digest) }, uniquingKeysWith: { first, _ in first }))
            }
            let change = ChangeAssessment(from: before, to: description)
            required = try SemverRule.check(previous: baseline, candidate: request.version, change: change)
        }

        if try await metadata.model(named: request.model) == nil {
            do {
                _ = try await metadata.createModel(name: request.model, description: description.card?.description ?? "", tags: [], actor: actor)
            } catch let error as WardenError where error.code == .conflict {
                // Created by another server meanwhile: fine.
            }
        }

        let lineage = description.card?.lineage
        let new = NewVersion(
            model: request.model,
            version: request.version,
            manifestDigest: manifest.rootDigest,
            files: request.files.sorted { $0.path < $1.path },
            bundle: request.bundle.map { String(decoding: $0, as: UTF8.self) },
            signers: signers,
            descriptionJSON: Self.json(description.jsonObject.filter { $0.key != "path" }),  // the scratch path means nothing later
            requiredBump: required,
            baseline: baseline,
            lineage: LineageRecord(
                parentName: lineage?.parent?.name,
                parentVersion: lineage?.parent?.version,
                dataset: lineage?.dataset,
                codeRevision: lineage?.codeRevision,
                runURL: lineage?.runURL
            )
        )
        let record = try await metadata.insertVersion(new, actor: actor)
        logger.info("published \(request.model)@\(request.version)", metadata: [
            "manifest": "\(manifest.rootDigest)", "signers": "\(signers.count)", "bump": "\(required?.description ?? "first")", "actor": "\(actor)",
        ])
        return PublishResult(version: record, created: true)
    }

    /// Lays a stored version out as its model directory (hard links to its blobs) in a fresh
    /// scratch directory, for a server to verify and load. The caller removes it when done.
    /// - Throws: `.ioFailure`; `.notFound` when a blob is missing.
    /// - Parameter parent: where the checkout goes (default: the registry's scratch directory).
    public func checkout(_ version: VersionRecord, in parent: String? = nil) async throws -> String {
        try await layOut(version.files, label: "\(version.model)-\(version.version)", in: parent)
    }

    /// Hard-links a version's blobs into a fresh scratch directory laid out as the model.
    func layOut(_ files: [FileEntry], label: String, in parent: String? = nil) async throws -> String {
        let directory = ((parent ?? configuration.scratchDirectory) as NSString).appendingPathComponent("\(label)-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw WardenError(.ioFailure, "cannot create the scratch directory '\(directory)': \(error.localizedDescription)", cause: error)
        }
        for file in files {
            try await blobs.materialize(file.digest, at: (directory as NSString).appendingPathComponent(file.path))
        }
        return directory
    }

    static func validate(_ files: [FileEntry]) throws {
        guard !files.isEmpty else {
            throw WardenError(.invalidArgument, "the version lists no files; a model needs at least one file")
        }
        var seen = Set<String>()
        for (index, file) in files.enumerated() {
            try ResourceName.validatePath(file.path, at: "files[\(index)].path")
            guard seen.insert(file.path).inserted else {
                throw WardenError(.invalidArgument, "files[\(index)].path: '\(file.path)' is listed twice")
            }
            guard file.size >= 0 else {
                throw WardenError(.invalidArgument, "files[\(index)].size: \(file.size) is negative")
            }
            if ModelDescription.ignoredFiles.contains(file.path) {
                throw WardenError(.invalidArgument, "files[\(index)].path: '\(file.path)' is a signature; send it as the version's bundle, not as a file")
            }
        }
    }

    static func json(_ object: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: Resolving

    /// The version a reference names: an exact version (yanked or not), an alias's
    /// target, or the highest non-yanked version for a bare name (releases before pre-releases).
    /// - Throws: `.notFound` saying what is missing.
    public func resolve(_ reference: ModelReference) async throws -> VersionRecord {
        switch reference.selector {
        case .version(let version):
            guard let record = try await metadata.version(of: reference.name, version) else {
                if try await metadata.model(named: reference.name) == nil {
                    throw WardenError(.notFound, "model '\(reference.name)' does not exist; list models with warden models")
                }
                throw WardenError(.notFound, "\(reference.name)@\(version) does not exist; list versions with warden versions \(reference.name)")
            }
            return record
        case .alias(let alias):
            guard let target = try await metadata.alias(model: reference.name, alias) else {
                if try await metadata.model(named: reference.name) == nil {
                    throw WardenError(.notFound, "model '\(reference.name)' does not exist; list models with warden models")
                }
                throw WardenError(.notFound, "\(reference.name) has no alias '\(alias)'; set it with warden alias set \(reference.name) \(alias) VERSION")
            }
            return try await resolve(ModelReference(name: reference.name, selector: .version(target.version)))
        case .latest:
            let versions = try await metadata.versions(of: reference.name).filter { !$0.yanked }
            guard let latest = versions.last(where: { !$0.version.isPrerelease }) ?? versions.last else {
                throw WardenError(.notFound, "\(reference.name) has no \(try await metadata.model(named: reference.name) == nil ? "such model" : "unyanked versions")")
            }
            return latest
        }
    }
}
