import ArgumentParser
import Foundation
import WardenClient
import WardenCore
import WardenIntegrity

struct PullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Download a model version and verify it before reporting success.",
        discussion: """
            REF is name@1.2.0, name:alias or name (the latest release). Files stream into a staging folder beside \
            -o DIR; every file is re-hashed and the signature (written as DIR/model.sig) is verified against \
            --trust or --key; only then is the folder renamed to DIR. Exit 1 when verification fails.
            """
    )

    @Argument(help: "name@VERSION, name:ALIAS or name.")
    var reference: String

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Where to put the model (must not exist, or be empty).", valueName: "dir"))
    var output: String

    @Option(name: .long, help: ArgumentHelp("A directory of trusted *.pub keys.", valueName: "dir"))
    var trust: String?

    @Option(name: .long, help: ArgumentHelp("A trusted public key (repeatable).", valueName: "pub"))
    var key: [String] = []

    @Flag(name: .long, help: "Accept a version published without a signature (its files are still re-hashed).")
    var allowUnsigned = false

    @OptionGroup var options: ClientOptions

    @Flag(name: .long, help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        if trust == nil, key.isEmpty, !allowUnsigned {
            throw ValidationError("pass the keys to verify against: --trust DIR or --key PUB (or --allow-unsigned to skip the signature)")
        }
    }

    func run() async throws {
        try await runReportingAsync(json: json) {
            let reference = try ModelReference(parsing: self.reference)
            let client = options.client
            let record = try await client.resolve(reference)
            let files = record.files
            let version = try SemanticVersion(parsing: record.summary.version)
            let target = URL(fileURLWithPath: output).standardizedFileURL.path
            if FileManager.default.fileExists(atPath: target), !((try? FileManager.default.contentsOfDirectory(atPath: target))?.isEmpty ?? false) {
                throw WardenError(.invalidArgument, "'\(output)' already exists and is not empty; choose another -o DIR")
            }
            let staging = target + ".partial-\(UUID().uuidString.prefix(8))"
            defer { try? FileManager.default.removeItem(atPath: staging) }

            let total = files.reduce(Int64(0)) { $0 + $1.size }
            let bar = ProgressBar(label: "downloading")
            bar.progress.start(totalBytes: total)
            bar.start()
            let started = Date()
            do {
                for file in files {
                    try ResourceName.validatePath(file.path, at: "files")
                    let progress = bar.progress
                    _ = try await client.download(model: reference.name, version: version, path: file.path, to: (staging as NSString).appendingPathComponent(file.path)) { progress.add($0) }
                }
            } catch {
                bar.stop()
                throw error
            }
            bar.stop()
            let seconds = Date().timeIntervalSince(started)

            // Re-hash every byte and check the signature before anything is reported.
            let signaturePath = (staging as NSString).appendingPathComponent("model.sig")
            let bundleBytes = try await client.bundle(model: reference.name, version: version)
            var signers: [VerifyingKey] = []
            let manifestDigest: Digest
            var actual: Manifest?
            if let bundleBytes {
                try Data(bundleBytes).write(to: URL(fileURLWithPath: signaturePath))
            }
            if let bundleBytes, trust != nil || !key.isEmpty {
                let policy = try trust.map { try TrustPolicy(directory: $0) } ?? TrustPolicy(keys: key.map { try VerifyingKey(contentsOf: $0) })
                let result = try withProgress("verifying") {
                    try Verifier(policy: policy).verify(model: staging, bundle: try SignatureBundle(json: bundleBytes), signaturePath: signaturePath, progress: $0)
                }
                signers = result.signers
                manifestDigest = result.rootDigest
                actual = result.manifest
            } else if bundleBytes == nil, !allowUnsigned {
                throw WardenError(.signatureRequired, "\(reference.name)@\(version) was published without a signature; pass --allow-unsigned to accept it")
            } else {
                let manifest = try ModelHasher().manifest(of: staging, alsoIgnoring: [signaturePath])
                manifestDigest = manifest.rootDigest
                actual = manifest
            }
            let expected = try? Digest(parsing: record.summary.manifestDigest)
            let stored = Dictionary(files.map { ($0.path, $0.digest) }, uniquingKeysWith: { first, _ in first })
            // The files as hashed above, once: per file only with the files method.
            let hashed = try (actual?.serialization.method == .files ? actual! : ModelHasher().manifest(of: staging, alsoIgnoring: [signaturePath]))
            let modified = hashed.resources.filter { stored[$0.path] != $0.digest.description }.map(\.path)
            guard modified.isEmpty, expected == nil || expected == hashed.rootDigest || !signers.isEmpty else {
                throw WardenError(.modelModified, "the downloaded files do not match what the registry recorded: \(modified.joined(separator: ", ")); retry the pull")
            }

            if FileManager.default.fileExists(atPath: target) { try FileManager.default.removeItem(atPath: target) }
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try FileManager.default.moveItem(atPath: staging, toPath: target)

            if json {
                printJSON([
                    "model": reference.name, "version": version.description, "path": target, "manifest_digest": manifestDigest.description,
                    "verified": !signers.isEmpty, "signers": signers.map { ["key_id": $0.keyID, "type": $0.type.rawValue] }, "bytes": total, "seconds": seconds,
                ])
            } else {
                print("pulled \(reference.name)@\(version) into \(output) (\(byteSize(total)) in \(String(format: "%.2f", seconds)) s)")
                if signers.isEmpty {
                    print("not signed: files re-hashed to \(manifestDigest)")
                } else {
                    print("verified \(manifestDigest)")
                    for signer in signers { print("signed by \(signer.type) key \(signer.keyID)") }
                }
            }
        }
    }
}
