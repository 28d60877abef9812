import ArgumentParser
import Foundation
import WardenIntegrity

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a model against its signature and a set of trusted keys.",
        discussion: """
            Exit 0 and 'verified sha256:<root>' when enough trusted keys signed and every file matches; \
            exit 1 naming the modified, missing or unexpected files, the untrusted signature or the malformed field; \
            exit 2 for bad input (a missing path, an unreadable key).
            """
    )

    @Argument(help: "The model directory or file.")
    var path: String

    @Option(name: .long, help: ArgumentHelp("The signature bundle.", valueName: "file"))
    var signature: String = "model.sig"

    @Option(name: .long, help: ArgumentHelp("A trusted public key (repeatable).", valueName: "pub"))
    var key: [String] = []

    @Option(name: .long, help: ArgumentHelp("A directory of trusted *.pub keys.", valueName: "dir"))
    var trust: String?

    @Option(name: .long, help: "How many distinct trusted keys must have signed.")
    var threshold: Int = 1

    @Flag(name: .long, help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        if key.isEmpty == (trust == nil) {
            throw ValidationError("pass trusted keys with --key PUB (repeatable) or --trust DIR, not both and not neither")
        }
        if threshold < 1 {
            throw ValidationError("--threshold must be at least 1")
        }
    }

    func run() throws {
        try runReporting(json: json) {
                let keys = try key.map { try VerifyingKey(contentsOf: $0) }
                let policy = try trust.map { try TrustPolicy(directory: $0, threshold: threshold) } ?? TrustPolicy(keys: keys, threshold: threshold)
                let bundle = try SignatureBundle(contentsOf: signature)
                let result = try withProgress("verifying") {
                    try Verifier(policy: policy).verify(model: path, bundle: bundle, signaturePath: signature, progress: $0)
                }
                if json {
                    printJSON([
                        "verified": true, "root": result.rootDigest.description,
                        "signers": result.signers.map { ["key_id": $0.keyID, "type": $0.type.rawValue] },
                        "files": result.manifest.fileCount,
                    ])
                } else {
                    print("verified \(result.rootDigest)")
                    for signer in result.signers {
                        print("signed by \(signer.type) key \(signer.keyID)")
                    }
                }
        }
    }
}
