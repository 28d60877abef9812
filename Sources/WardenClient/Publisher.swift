import Foundation
import WardenAPI
import WardenCore
import WardenIntegrity
import WardenModel

/// The publish pipeline: describe the model folder as the registry will, hash it, sign it
/// (or take its signature), upload only the blobs the registry lacks, then create the
/// version, numbered exactly or bumped from the latest release.
///
/// `warden push` is this plus printing; any Swift program can publish the same way.
///
/// ```swift
/// let publisher = Publisher(client: RegistryClient(server: url, token: token))
/// let result = try await publisher.publish(Publisher.Request(
///     model: "fraud", path: "./model", version: .bump(.auto), signing: .key("ci.key")))
/// print(result.version, result.manifestDigest)
/// ```
public struct Publisher: Sendable {
    public enum Bump: String, Sendable, CaseIterable { case auto, major, minor, patch }

    /// How the version is numbered.
    public enum VersionChoice: Sendable {
        case exact(SemanticVersion)
        /// The latest release bumped; `.auto` compares the folder with it and bumps as the change requires.
        case bump(Bump)
    }

    /// Where the signature comes from.
    public enum Signing: Sendable {
        /// Sign now with this private key file.
        case key(String)
        /// This existing bundle.
        case bundle(String)
        /// `PATH/model.sig` when the folder holds one; otherwise none. Never a `model.sig` beside
        /// the folder, where `warden sign` writes by default: it may belong to another model.
        case discover
    }

    public struct Request: Sendable {
        public var model: String
        public var path: String
        public var version: VersionChoice
        public var signing: Signing

        public init(model: String, path: String, version: VersionChoice, signing: Signing = .discover) {
            self.model = model
            self.path = path
            self.version = version
            self.signing = signing
        }
    }

    /// What a long publish reports as it goes, for a progress display.
    public enum Event: Sendable {
        /// The signature file used (not with `.key`).
        case signature(path: String)
        case hashing(HashProgress)
        /// `--bump auto` compared the folder with the latest release.
        case change(from: SemanticVersion, required: ChangeLevel, reasons: [String])
        /// Uploading starts: `blobs` of the model's files, `bytes` in all; `progress` counts them.
        case uploading(blobs: Int, bytes: Int64, progress: HashProgress)
        /// The uploads are done; the registry now verifies, re-hashes and inspects.
        case publishing(totalBytes: Int64)
    }

    public struct Result: Sendable {
        public var model: String
        public var version: SemanticVersion
        /// False when the same files were already published under this version.
        public var created: Bool
        public var manifestDigest: String
        public var uploadedBlobs: Int
        public var uploadedBytes: Int64
        public var totalBlobs: Int
        /// Seconds spent uploading.
        public var uploadSeconds: Double
        public var requiredBump: String?
        public var baseline: String?
        public var signers: [String]
        /// The registry's answer, as it came.
        public var response: VersionDetail
    }

    public let client: RegistryClient

    public init(client: RegistryClient) {
        self.client = client
    }

    /// Publishes the folder as a new version of the model.
    /// - Parameter events: called as the work advances (from the calling task).
    /// - Throws: `WardenError`: the folder's description errors (a format Warden cannot read
    ///   is refused here, before anything is uploaded), key and signature errors, and the
    ///   registry's refusals (`.semverViolation`, `.conflict`, signature verdicts).
    public func publish(_ request: Request, events: @Sendable (Event) -> Void = { _ in }) async throws -> Result {
        try ModelReference.validateName(request.model)
        let root = URL(fileURLWithPath: request.path).standardizedFileURL.path
        // What the registry will check, checked here first: a folder it would refuse uploads nothing.
        _ = try ModelDescription(contentsOf: request.path)  // the path as the caller wrote it, for the message

        let signaturePath: String?
        switch request.signing {
        case .key: signaturePath = nil
        case .bundle(let path): signaturePath = path
        case .discover: signaturePath = Self.signatureInside(root)
        }
        if let signaturePath { events(.signature(path: signaturePath)) }

        let hashing = HashProgress()
        events(.hashing(hashing))
        let manifest = try ModelHasher().manifest(of: root, alsoIgnoring: [(root as NSString).appendingPathComponent("model.sig")], progress: hashing)
        var bundle: [UInt8]?
        if case .key(let keyPath) = request.signing {
            bundle = try Signer(key: SigningKey(contentsOf: keyPath)).sign(manifest, modelName: URL(fileURLWithPath: root).lastPathComponent).json()
        } else if let signaturePath {
            bundle = try SignatureBundle(contentsOf: signaturePath).json()
        }

        let target = try await version(for: request, root: root, events: events)
        var sizes: [String: Int64] = [:]
        for resource in manifest.resources {
            let attributes = try FileManager.default.attributesOfItem(atPath: (root as NSString).appendingPathComponent(resource.path))
            sizes[resource.path] = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        }
        var missing: [Manifest.Resource] = []
        for resource in manifest.resources where try await !client.hasBlob(resource.digest) {
            missing.append(resource)
        }
        let bytes = missing.reduce(Int64(0)) { $0 + (sizes[$1.path] ?? 0) }
        let uploading = HashProgress()
        uploading.start(totalBytes: bytes)
        events(.uploading(blobs: missing.count, bytes: bytes, progress: uploading))
        let started = Date()
        for resource in missing {
            try await client.uploadBlob(resource.digest, from: (root as NSString).appendingPathComponent(resource.path), size: sizes[resource.path] ?? 0) { uploading.add($0) }
        }
        let seconds = Date().timeIntervalSince(started)
        events(.publishing(totalBytes: sizes.values.reduce(0, +)))
        let response = try await client.publish(
            model: request.model, version: target,
            files: manifest.resources.map { ($0.path, $0.digest, sizes[$0.path] ?? 0) },
            bundle: bundle
        )
        return Result(
            model: request.model, version: target, created: response.created ?? true,
            manifestDigest: response.summary.manifestDigest, uploadedBlobs: missing.count, uploadedBytes: bytes,
            totalBlobs: manifest.resources.count, uploadSeconds: seconds, requiredBump: response.summary.requiredBump,
            baseline: response.summary.baseline, signers: response.summary.signers, response: response
        )
    }

    /// `model.sig` inside the model folder, when there is one.
    public static func signatureInside(_ root: String) -> String? {
        let inside = (root as NSString).appendingPathComponent("model.sig")
        return FileManager.default.fileExists(atPath: inside) ? inside : nil
    }

    /// The version to create: the exact one, or the latest release bumped.
    func version(for request: Request, root: String, events: @Sendable (Event) -> Void) async throws -> SemanticVersion {
        let bump: Bump
        switch request.version {
        case .exact(let version): return version
        case .bump(let chosen): bump = chosen
        }
        let versions = try await existingVersions(request.model)
        guard let latest = versions.filter({ !$0.isPrerelease }).max() else {
            // A first version: 0.1.0, as Cargo starts.
            return SemanticVersion(major: 0, minor: 1, patch: 0)
        }
        let level: ChangeLevel
        switch bump {
        case .major: level = .major
        case .minor: level = .minor
        case .patch: level = .patch
        case .auto:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("warden-push-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let record = try await client.resolve(ModelReference(name: request.model, selector: .version(latest)))
            for file in record.files {
                _ = try await client.download(model: request.model, version: latest, path: file.path, to: (directory as NSString).appendingPathComponent(file.path))
            }
            let change = ChangeAssessment(from: try ModelDescription(contentsOf: directory).withFileDigests(), to: try ModelDescription(contentsOf: root).withFileDigests())
            level = max(change.required, .patch)
            events(.change(from: latest, required: change.required, reasons: change.reasons))
        }
        return SemverRule.suggestion(after: latest, for: level)
    }

    func existingVersions(_ name: String) async throws -> [SemanticVersion] {
        do {
            return try await client.versions(of: name).compactMap { SemanticVersion($0.version) }
        } catch let error as WardenError where error.code == .notFound {
            return []
        }
    }
}
