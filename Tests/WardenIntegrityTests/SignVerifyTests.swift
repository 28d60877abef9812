import Foundation
import Testing
@testable import WardenIntegrity

@Suite struct SignVerifyTests {
    static let methods: [Manifest.Serialization.Method] = [.files, .shards(size: 1_000)]

    func makeModel(_ dir: TemporaryDirectory) throws -> String {
        try dir.write("model/model.onnx", patternBytes(3_500, seed: 7))
        try dir.write("model/config.json", #"{"layers": 2}"#)
        try dir.write("model/tokenizer/vocab.txt", "a\nb\nc\n")
        return dir.file("model")
    }

    func sign(_ path: String, with key: SigningKey, method: Manifest.Serialization.Method = .files) throws -> SignatureBundle {
        let manifest = try ModelHasher(serialization: .init(method: method)).manifest(of: path)
        return try Signer(key: key).sign(manifest, modelName: "model")
    }


    @Test(arguments: KeyType.allCases, methods)
    func roundTrip(type: KeyType, method: Manifest.Serialization.Method) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let model = try makeModel(dir)
        let key = SigningKey.generate(type)
        let bundle = try sign(model, with: key, method: method)
        #expect(bundle.publicKeyHint == key.keyID)
        #expect(bundle.envelope.signatures.count == 1)
        #expect(bundle.envelope.signatures[0].keyid == "")

        // Through the file format, as a user would.
        try bundle.write(to: dir.file("model.sig"))
        let reread = try SignatureBundle(contentsOf: dir.file("model.sig"))
        let result = try Verifier(policy: TrustPolicy(keys: [key.publicKey])).verify(model: model, bundle: reread)
        #expect(result.signers == [key.publicKey])
        #expect(result.rootDigest == (try ModelHasher(serialization: .init(method: method)).manifest(of: model)).rootDigest)
        #expect(result.subjectName == "model")
    }

    @Test func detectsModifiedMissingAndUnexpectedFiles() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let model = try makeModel(dir)
        let key = SigningKey.generate(.ecdsaP256)
        let verifier = Verifier(policy: try TrustPolicy(keys: [key.publicKey]))

        for method in Self.methods {
            let bundle = try sign(model, with: key, method: method)
            var bytes = patternBytes(3_500, seed: 7)
            bytes[2_000] ^= 1
            try dir.write("model/model.onnx", bytes)
            try FileManager.default.removeItem(atPath: dir.file("model/tokenizer/vocab.txt"))
            try dir.write("model/extra.bin", "surprise")

            #expect {
                try verifier.verify(model: model, bundle: bundle)
            } throws: { error in
                guard let error = error as? WardenError, error.code == .modelModified,
                    let difference = error.cause as? ManifestDifference
                else { return false }
                return difference.modified == ["model.onnx"] && difference.missing == ["tokenizer/vocab.txt"]
                    && difference.unexpected == ["extra.bin"]
                    && error.message.contains("modified: model.onnx; missing: tokenizer/vocab.txt; unexpected: extra.bin")
            }
            try dir.write("model/model.onnx", patternBytes(3_500, seed: 7))
            try dir.write("model/tokenizer/vocab.txt", "a\nb\nc\n")
            try FileManager.default.removeItem(atPath: dir.file("model/extra.bin"))
            _ = try verifier.verify(model: model, bundle: bundle)
        }
    }

    @Test func renamedFileIsMissingPlusUnexpected() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let model = try makeModel(dir)
        let key = SigningKey.generate(.ecdsaP256)
        let bundle = try sign(model, with: key)
        try FileManager.default.moveItem(atPath: dir.file("model/config.json"), toPath: dir.file("model/config.yaml"))
        expectWardenError(.modelModified, containing: "missing: config.json; unexpected: config.yaml") {
            _ = try Verifier(policy: TrustPolicy(keys: [key.publicKey])).verify(model: model, bundle: bundle)
        }
    }

    @Test func untrustedKey() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let model = try makeModel(dir)
        let signer = SigningKey.generate(.ecdsaP256)
        let stranger = SigningKey.generate(.ecdsaP256)
        let bundle = try sign(model, with: signer)
        expectWardenError(.untrustedSignature, containing: "no trusted key made any of the 1 signature(s) (the bundle names key \(signer.keyID))") {
            _ = try Verifier(policy: TrustPolicy(keys: [stranger.publicKey])).verify(model: model, bundle: bundle)
        }
    }

    @Test func tamperedPayloadOrSignatureFails() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let model = try makeModel(dir)
        let key = SigningKey.generate(.ecdsaP384)
        let policy = try TrustPolicy(keys: [key.publicKey])
        var bundle = try sign(model, with: key)
        bundle.envelope.payload[bundle.envelope.payload.count / 2] ^= 1
        expectWardenError(.untrustedSignature, containing: "no trusted key") { _ = try Verifier(policy: policy).verifySignatures(of: bundle) }

        var flipped = try sign(model, with: key)
        flipped.envelope.signatures[0].sig[10] ^= 1
        expectWardenError(.untrustedSignature, containing: "no trusted key") { _ = try Verifier(policy: policy).verifySignatures(of: flipped) }
    }

    @Test func coSignaturesAndThreshold() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let model = try makeModel(dir)
        let first = SigningKey.generate(.ecdsaP256)
        let second = SigningKey.generate(.ed25519)
        let third = SigningKey.generate(.ecdsaP384)
        let single = try sign(model, with: first)
        let double = try Signer(key: second).cosign(single)

        // signatures[0] stays the plain OMS signature.
        #expect(double.envelope.signatures[0] == single.envelope.signatures[0])
        #expect(double.publicKeyHint == first.keyID)
        #expect(double.envelope.signatures[1].keyid == second.keyID)

        let all = [first.publicKey, second.publicKey, third.publicKey]
        let twoOfThree = try Verifier(policy: TrustPolicy(keys: all, threshold: 2)).verify(model: model, bundle: double)
        #expect(Set(twoOfThree.signers) == [first.publicKey, second.publicKey])

        expectWardenError(.thresholdNotMet, containing: "signed by 1 trusted key(s)") {
            _ = try Verifier(policy: TrustPolicy(keys: all, threshold: 2)).verify(model: model, bundle: single)
        }
        expectWardenError(.thresholdNotMet, containing: "but the threshold is 3") {
            _ = try Verifier(policy: TrustPolicy(keys: all, threshold: 3)).verify(model: model, bundle: double)
        }
        // The same key signing twice counts once.
        var duplicated = double
        duplicated.envelope.signatures.append(double.envelope.signatures[0])
        expectWardenError(.thresholdNotMet, containing: "signed by 2 trusted key(s)") {
            _ = try Verifier(policy: TrustPolicy(keys: all, threshold: 3)).verify(model: model, bundle: duplicated)
        }
        expectWardenError(.invalidArgument, containing: "has already signed this bundle") { _ = try Signer(key: second).cosign(double) }
    }

    @Test func thresholdThatCanNeverBeMet() throws {
        let key = SigningKey.generate(.ecdsaP256)
        expectWardenError(.invalidArgument, containing: "can never be met with 1 distinct trusted key(s)") {
            _ = try TrustPolicy(keys: [key.publicKey, key.publicKey], threshold: 2)
        }
    }

    @Test func trustDirectory() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let model = try makeModel(dir)
        let key = SigningKey.generate(.ecdsaP256)
        try dir.write("trust/alice.pub", key.publicKey.pem)
        try dir.write("trust/bob.pub", SigningKey.generate(.ed25519).publicKey.pem)
        try dir.write("trust/notes.txt", "ignored: not a .pub file")
        let policy = try TrustPolicy(directory: dir.file("trust"))
        #expect(policy.keys.count == 2)
        _ = try Verifier(policy: policy).verify(model: model, bundle: sign(model, with: key))

        try dir.mkdir("empty-trust")
        expectWardenError(.invalidArgument, containing: "holds no *.pub files") { _ = try TrustPolicy(directory: dir.file("empty-trust")) }
        expectWardenError(.pathNotFound, containing: "does not exist") { _ = try TrustPolicy(directory: dir.file("nope")) }
        try dir.write("bad-trust/alice.pub", SigningKey.generate(.ecdsaP256).pkcs8PEM)
        expectWardenError(.privateKeyWherePublicExpected, containing: "alice.pub") { _ = try TrustPolicy(directory: dir.file("bad-trust")) }
    }

    @Test func signatureInsideTheModelIsLeftOut() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let model = try makeModel(dir)
        let key = SigningKey.generate(.ecdsaP256)
        let manifest = try ModelHasher(serialization: .init(ignorePaths: ["model.sig"])).manifest(of: model)
        try Signer(key: key).sign(manifest, modelName: "model").write(to: dir.file("model/model.sig"))
        let bundle = try SignatureBundle(contentsOf: dir.file("model/model.sig"))
        let result = try Verifier(policy: TrustPolicy(keys: [key.publicKey])).verify(model: model, bundle: bundle, signaturePath: dir.file("model/model.sig"))
        #expect(result.manifest.fileCount == 3)
    }

    @Test func tooManySignaturesAreRefused() throws {
        let key = SigningKey.generate(.ecdsaP256)
        let envelope = DSSEEnvelope(payload: [], signatures: Array(repeating: .init(sig: [1]), count: 65))
        expectWardenError(.malformedSignature, containing: "has 65 entries") {
            _ = try Verifier(policy: TrustPolicy(keys: [key.publicKey])).verifySignatures(of: SignatureBundle(publicKeyHint: nil, envelope: envelope))
        }
    }
}
