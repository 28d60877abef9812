import ArgumentParser
import Foundation
import WardenIntegrity

struct SignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign a model: write an OpenSSF Model Signing v1.0 signature (Sigstore bundle).",
        discussion: """
            The signature is model.sig in the working directory unless --signature says otherwise. \
            A signature file inside the model directory is left out of the hash. \
            --append adds a co-signature to an existing bundle after checking that it covers this model.
            """
    )

    @Argument(help: "The model directory or file.")
    var path: String

    @Option(name: .long, help: ArgumentHelp("The private key (PKCS#8 or SEC1 PEM).", valueName: "file"))
    var key: String

    @Option(name: .long, help: ArgumentHelp("Where to write the signature.", valueName: "file"))
    var signature: String = "model.sig"

    @OptionGroup var serialization: SerializationOptions

    @Flag(name: .long, help: "Add a co-signature to the existing bundle at --signature.")
    var append = false

    @Flag(name: .long, help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        if append, serialization.shardSize != nil || !serialization.ignorePaths.isEmpty || serialization.allowSymlinks {
            throw ValidationError("--append reuses the serialization recorded in the existing signature; drop --shard-size, --ignore-paths and --allow-symlinks")
        }
    }

    func run() throws {
        try runReporting(json: json) {
            let signer = Signer(key: try SigningKey(contentsOf: key))
            let bundle = append ? try cosign(with: signer) : try sign(with: signer)
            try bundle.write(to: signature)
            let root = try ModelSigningStatement(payload: bundle.envelope.payload).rootDigest
            if json {
                printJSON([
                    "ok": true, "root": root.description, "signature": signature, "key_id": signer.key.keyID,
                    "key_type": signer.key.type.rawValue, "signatures": bundle.envelope.signatures.count,
                ])
            } else {
                let what = append ? "co-signed" : "signed"
                print("\(what) \(root) with \(signer.key.type) key \(signer.key.keyID)")
                print("wrote \(signature) (\(bundle.envelope.signatures.count) signature(s))")
            }
        }
    }

    private func sign(with signer: Signer) throws -> SignatureBundle {
        let signatureInside = insideModel(signature)
        let hasher = ModelHasher(
            serialization: serialization.serialization(ignoring: signatureInside.map { [$0] } ?? [], modelPath: path)
        )
        let manifest = try withProgress("hashing") { try hasher.manifest(of: path, progress: $0) }
        return try signer.sign(manifest, modelName: modelName)
    }

    private func cosign(with signer: Signer) throws -> SignatureBundle {
        let existing = try SignatureBundle(contentsOf: signature)
        let statement = try ModelSigningStatement(payload: existing.envelope.payload)
        let hasher = ModelHasher(serialization: statement.manifest.serialization)
        let actual = try withProgress("hashing") {
            try hasher.manifest(of: path, alsoIgnoring: [signature], progress: $0)
        }
        let difference = ManifestDifference(expected: statement.manifest, actual: actual)
        guard difference.isEmpty else {
            throw WardenError(
                .modelModified,
                "\(signature) covers a different model than '\(path)' (\(difference.summary)); co-sign only the model it signs",
                cause: difference
            )
        }
        return try signer.cosign(existing)
    }

    /// The model's base name: the OMS subject name.
    private var modelName: String {
        URL(fileURLWithPath: path).standardizedFileURL.lastPathComponent
    }

    /// The signature's path relative to the model directory, when it lies inside it.
    private func insideModel(_ file: String) -> String? {
        ModelTree.relativeIgnorePath(
            URL(fileURLWithPath: file).standardizedFileURL.path,
            root: URL(fileURLWithPath: path).standardizedFileURL.path
        )
    }
}
