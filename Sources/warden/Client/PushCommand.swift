import ArgumentParser
import Foundation
import WardenClient
import WardenCore
import WardenIntegrity
import WardenModel

struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Publish a model directory as a new version: upload only the blobs the registry lacks, then create the version.",
        discussion: """
            The version comes from --version, or from --bump applied to the model's latest release: \
            'auto' downloads the latest version, compares it with PATH and bumps as the change requires. \
            The signature is --sign KEY (signed now), --signature FILE, or PATH/model.sig when the model folder holds one; \
            a model.sig beside the folder is never picked up on its own (it may belong to another model): name it with --signature. \
            The folder is described (format, IO, card) before anything is uploaded, so a folder Warden cannot read uploads nothing. \
            Exit 1 when the registry refuses the version number or the signature; 2 for other errors.
            """
    )

    enum Bump: String, ExpressibleByArgument, CaseIterable { case auto, major, minor, patch }

    @Argument(help: "The model directory.")
    var path: String

    @Option(name: .long, help: "The model's name in the registry.")
    var name: String

    @Option(name: .long, help: "The version to publish, e.g. 1.4.0.")
    var version: String?

    @Option(name: .long, help: "Bump the latest release instead: auto, major, minor or patch.")
    var bump: Bump?

    @Option(name: .long, help: ArgumentHelp("Sign with this private key before pushing.", valueName: "key"))
    var sign: String?

    @Option(name: .long, help: ArgumentHelp("An existing signature bundle to push.", valueName: "file"))
    var signature: String?

    @OptionGroup var options: ClientOptions

    @Flag(name: .long, help: "Print the created version as JSON.")
    var json = false

    func validate() throws {
        if (version == nil) == (bump == nil) { throw ValidationError("pass exactly one of --version V and --bump auto|major|minor|patch") }
        if sign != nil, signature != nil { throw ValidationError("pass --sign KEY or --signature FILE, not both") }
        try ModelReference.validateName(name)
    }

    func run() async throws {
        try await runReportingAsync(json: json) {
            let client = options.client
            let root = URL(fileURLWithPath: path).standardizedFileURL.path
            // What the server will check, checked here first: a folder it would refuse uploads nothing.
            _ = try ModelDescription(contentsOf: path)  // the path as the user wrote it, for the message
            let signaturePath = signature ?? Self.defaultSignature(for: root)
            if sign == nil, let signaturePath, !json {
                FileHandle.standardError.write(Data("signature: \(signaturePath)\n".utf8))
            }
            let manifest = try withProgress("hashing") { progress in
                try ModelHasher().manifest(of: root, alsoIgnoring: [(root as NSString).appendingPathComponent("model.sig")], progress: progress)
            }
            var bundle: [UInt8]?
            if let sign {
                bundle = try Signer(key: SigningKey(contentsOf: sign)).sign(manifest, modelName: URL(fileURLWithPath: root).lastPathComponent).json()
            } else if let signaturePath {
                bundle = try SignatureBundle(contentsOf: signaturePath).json()
            }

            let target = try await resolveVersion(client, root: root)
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
            let bar = ProgressBar(label: "uploading")
            bar.progress.start(totalBytes: bytes)
            bar.start()
            let started = Date()
            do {
                for resource in missing {
                    let progress = bar.progress
                    try await client.uploadBlob(resource.digest, from: (root as NSString).appendingPathComponent(resource.path), size: sizes[resource.path] ?? 0) { progress.add($0) }
                }
            } catch {
                bar.stop()
                throw error
            }
            bar.stop()
            let seconds = Date().timeIntervalSince(started)
            if standardErrorIsTerminal(), !json {
                FileHandle.standardError.write(Data("publishing: the registry verifies the signature and re-hashes \(byteSize(sizes.values.reduce(0, +)))…\n".utf8))
            }
            let result = try await client.publish(
                model: name, version: target,
                files: manifest.resources.map { ($0.path, $0.digest, sizes[$0.path] ?? 0) },
                bundle: bundle
            )
            if json {
                var object = result
                object["uploaded_blobs"] = missing.count
                object["uploaded_bytes"] = bytes
                printJSON(object)
            } else {
                let created = result["created"] as? Bool ?? true
                print("\(created ? "published" : "already published") \(name)@\(target) \(result["manifest_digest"] as? String ?? "")")
                print(String(format: "uploaded %d of %d blob(s), %@ in %.2f s", missing.count, manifest.resources.count, byteSize(bytes), seconds))
                if let required = result["required_bump"] as? String, let baseline = result["baseline"] as? String {
                    print("change from \(baseline): \(required)")
                }
                if let signers = result["signers"] as? [String], !signers.isEmpty { print("signed by \(signers.joined(separator: ", "))") }
            }
        }
    }

    /// `model.sig` inside the model directory, when there is one. Never the one beside the
    /// directory, where `warden sign` writes by default: that one may belong to another model
    /// in the same parent folder, so the user names it with --signature.
    static func defaultSignature(for root: String) -> String? {
        let inside = (root as NSString).appendingPathComponent("model.sig")
        return FileManager.default.fileExists(atPath: inside) ? inside : nil
    }

    func resolveVersion(_ client: RegistryClient, root: String) async throws -> SemanticVersion {
        if let version { return try SemanticVersion(parsing: version) }
        let versions = try await Self.existingVersions(client, name)
        guard let latest = versions.filter({ !$0.isPrerelease }).max() else {
            // A first version: 0.1.0 for --bump, as Cargo starts.
            return SemanticVersion(major: 0, minor: 1, patch: 0)
        }
        let level: ChangeLevel
        switch bump ?? .auto {
        case .major: level = .major
        case .minor: level = .minor
        case .patch: level = .patch
        case .auto:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("warden-push-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let record = try await client.resolve(ModelReference(name: name, selector: .version(latest)))
            for file in record["files"] as? [[String: Any]] ?? [] {
                guard let path = file["path"] as? String else { continue }
                _ = try await client.download(model: name, version: latest, path: path, to: (directory as NSString).appendingPathComponent(path))
            }
            let change = ChangeAssessment(from: try ModelDescription(contentsOf: directory).withFileDigests(), to: try ModelDescription(contentsOf: root).withFileDigests())
            level = max(change.required, .patch)
            FileHandle.standardError.write(Data("change from \(latest): \(change.required)\(change.reasons.isEmpty ? "" : " (" + change.reasons.prefix(3).joined(separator: "; ") + ")")\n".utf8))
        }
        return SemverRule.suggestion(after: latest, for: level)
    }

    static func existingVersions(_ client: RegistryClient, _ name: String) async throws -> [SemanticVersion] {
        do {
            return try await client.versions(of: name).compactMap { ($0["version"] as? String).flatMap(SemanticVersion.init) }
        } catch let error as WardenError where error.code == .notFound {
            return []
        }
    }
}
