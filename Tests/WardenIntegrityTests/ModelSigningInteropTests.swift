import Foundation
import Testing
@testable import WardenIntegrity

/// Signatures made by the real `model_signing` tool (see Fixtures/model-signing/README.md).
@Suite struct ModelSigningInteropTests {
    static let filesRoot = "sha256:b20d15477ce2dd932f1a6ee2a008efbfde6f68c5b0720d070e2c6c66b1b92dfe"
    static let shardsRoot = "sha256:e059f1e22f6be2b76f921e26c3fa2841a91e41290672f4c25ecde51cb0f6ff90"
    static let singleFileRoot = "sha256:fa9262ba4726a1ac9de31a2740ae41d6c5521c7bb1b0e33abf1a574611cb95d6"

    static let cases: [(signature: String, key: String, root: String)] = [
        ("files.sig", "signer.pub", filesRoot),
        ("files-p384.sig", "signer384.pub", filesRoot),
        ("shards.sig", "signer.pub", shardsRoot),
    ]

    func verifier(_ key: String) throws -> Verifier {
        Verifier(policy: try TrustPolicy(keys: [VerifyingKey(contentsOf: fixture("model-signing/keys/\(key)"))]))
    }

    func bundle(_ name: String) throws -> SignatureBundle {
        try SignatureBundle(contentsOf: fixture("model-signing/\(name)"))
    }

    /// A writable copy of the fixture model.
    func copyOfModel(_ dir: TemporaryDirectory) throws -> String {
        try dir.copy(from: fixture("model-signing/model"), to: "model")
    }

    @Test(arguments: cases)
    func acceptsModelSigningSignatures(signature: String, key: String, root: String) throws {
        let result = try verifier(key).verify(model: fixture("model-signing/model"), bundle: bundle(signature))
        #expect(result.rootDigest.description == root)
        #expect(result.subjectName == "model")
        #expect(result.signers.map(\.keyID) == [try bundle(signature).publicKeyHint])
    }

    @Test func acceptsASingleFileSignature() throws {
        let result = try verifier("signer.pub").verify(model: fixture("model-signing/model/model.onnx"), bundle: bundle("single-file.sig"))
        #expect(result.rootDigest.description == Self.singleFileRoot)
        #expect(result.manifest.resources.map(\.name) == ["."])
    }

    /// Warden's hasher computes the same roots model_signing signed.
    @Test func hasherMatchesModelSigningRoots() throws {
        let model = fixture("model-signing/model")
        #expect(try ModelHasher().manifest(of: model).rootDigest.description == Self.filesRoot)
        #expect(try ModelHasher(serialization: .init(method: .shards(size: 1024))).manifest(of: model).rootDigest.description == Self.shardsRoot)
        #expect(try ModelHasher().manifest(of: "\(model)/model.onnx").rootDigest.description == Self.singleFileRoot)
    }

    @Test func keyIDMatchesTheBundleHint() throws {
        let key = try VerifyingKey(contentsOf: fixture("model-signing/keys/signer.pub"))
        #expect(key.keyID == (try bundle("files.sig").publicKeyHint))
        let key384 = try VerifyingKey(contentsOf: fixture("model-signing/keys/signer384.pub"))
        #expect(key384.keyID == (try bundle("files-p384.sig").publicKeyHint))
    }

    @Test func recordsTheSerializationModelSigningWrote() throws {
        let statement = try ModelSigningStatement(payload: bundle("shards.sig").envelope.payload)
        #expect(statement.manifest.serialization.method == .shards(size: 1024))
        #expect(Set(statement.manifest.serialization.ignorePaths) == [".git", ".gitattributes", ".github", ".gitignore"])
    }

    func expectModified(_ key: String, _ signature: String, model: String, _ check: (ManifestDifference) -> Bool) throws {
        let verifier = try verifier(key)
        let bundle = try bundle(signature)
        #expect {
            try verifier.verify(model: model, bundle: bundle)
        } throws: { error in
            guard let error = error as? WardenError, error.code == .modelModified, let difference = error.cause as? ManifestDifference else {
                return false
            }
            return check(difference)
        }
    }

    @Test(arguments: cases)
    func rejectsAChangedByte(signature: String, key: String, root: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let model = try copyOfModel(dir)
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: "\(model)/weights/extra.bin")))
        bytes[2_500] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: "\(model)/weights/extra.bin"))
        try expectModified(key, signature, model: model) { $0.modified == ["weights/extra.bin"] && $0.missing.isEmpty && $0.unexpected.isEmpty }
    }

    @Test(arguments: cases)
    func rejectsAnAddedOrRemovedFile(signature: String, key: String, root: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let model = try copyOfModel(dir)
        try dir.write("model/weights/injected.bin", "payload")
        try FileManager.default.removeItem(atPath: "\(model)/README.txt")
        try expectModified(key, signature, model: model) { $0.unexpected == ["weights/injected.bin"] && $0.missing == ["README.txt"] }
    }

    @Test(arguments: cases)
    func rejectsARenamedFile(signature: String, key: String, root: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let model = try copyOfModel(dir)
        try FileManager.default.moveItem(atPath: "\(model)/config.json", toPath: "\(model)/config.yaml")
        try expectModified(key, signature, model: model) { $0.missing == ["config.json"] && $0.unexpected == ["config.yaml"] }
    }

    @Test func rejectsAnEditedSignatureFile() throws {
        // Changing a resource name inside the signed payload breaks the signature.
        var edited = try bundle("files.sig")
        let payload = String(decoding: edited.envelope.payload, as: UTF8.self).replacingOccurrences(of: "config.json", with: "config.yaml")
        edited.envelope.payload = Array(payload.utf8)
        #expect {
            try verifier("signer.pub").verifySignatures(of: edited)
        } throws: { error in
            (error as? WardenError)?.code == .untrustedSignature
        }
    }

    @Test func ignoresGitFilesAsModelSigningDoes() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let model = try copyOfModel(dir)
        try dir.write("model/.git/HEAD", "ref: refs/heads/main")
        try dir.write("model/.gitattributes", "*.bin filter=lfs")
        _ = try verifier("signer.pub").verify(model: model, bundle: bundle("files.sig"))
    }
}
