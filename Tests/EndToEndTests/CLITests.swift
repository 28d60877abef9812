import Crypto
import Foundation
import Testing

/// The CLI as a user runs it: real binary, real files, exit codes and messages.
@Suite struct CLITests {
    let workspace: String

    init() throws {
        workspace = try makeWorkspace()
        try write(#"{"hidden_size": 8}"#, to: "\(workspace)/model/config.json")
        try write(String(repeating: "weights ", count: 500), to: "\(workspace)/model/weights/part-1.bin")
        try write("vocab", to: "\(workspace)/model/vocab.txt")
    }

    func run(_ arguments: String...) throws -> WardenProcess.Output {
        try WardenProcess.run(arguments, in: workspace)
    }

    @Test func hashPrintsTheRootDigestAndJSONListsResources() throws {
        let plain = try run("hash", "model")
        #expect(plain.status == 0)
        #expect(plain.stdout.hasPrefix("sha256:") && plain.stdout.count == 72)

        let json = try run("hash", "model", "--json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["root"] as? String == plain.stdout.trimmingCharacters(in: .newlines))
        let resources = try #require(object["resources"] as? [[String: String]])
        #expect(resources.map { $0["name"]! } == ["config.json", "vocab.txt", "weights/part-1.bin"])

        let sharded = try run("hash", "model", "--shard-size", "1000", "--json")
        #expect(sharded.stdout.contains("weights/part-1.bin:3000:4000"))
        #expect(sharded.stdout.contains("sha256-sharded-1000"))
    }

    @Test func hashRejectsBadInputWithExitTwo() throws {
        let missing = try run("hash", "no-such-model")
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("error: 'no-such-model' does not exist"))

        let badShard = try run("hash", "model", "--shard-size", "0")
        #expect(badShard.status == 2)
        #expect(badShard.stderr.contains("--shard-size must be a positive number of bytes"))

        try FileManager.default.createSymbolicLink(atPath: "\(workspace)/model/link", withDestinationPath: "vocab.txt")
        let symlink = try run("hash", "model")
        #expect(symlink.status == 2)
        #expect(symlink.stderr.contains("'link' is a symlink; symlinks are refused unless you pass --allow-symlinks"))
        #expect(try run("hash", "model", "--allow-symlinks").status == 0)
    }

    @Test func keygenWritesAPrivateKeyOnlyItsOwnerCanRead() throws {
        let result = try run("keygen", "--type", "ecdsa-p384", "--out", "signer")
        #expect(result.status == 0)
        let attributes = try FileManager.default.attributesOfItem(atPath: "\(workspace)/signer.key")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let pub = try String(contentsOfFile: "\(workspace)/signer.pub", encoding: .utf8)
        #expect(pub.hasPrefix("-----BEGIN PUBLIC KEY-----"))
        let keyID = Data(SHA256.hash(data: Data(pub.utf8))).map { String(format: "%02x", $0) }.joined()
        #expect(result.stdout.contains("key id: \(keyID)"))

        let again = try run("keygen", "--out", "signer")
        #expect(again.status == 2)
        #expect(again.stderr.contains("'signer.key' already exists; choose another --out prefix or pass --force"))

        let badType = try run("keygen", "--type", "rsa", "--out", "x")
        #expect(badType.status == 2)
        #expect(badType.stderr.contains("rsa"))
    }

    @Test func signThenVerifyAndDetectTampering() throws {
        #expect(try run("keygen", "--out", "alice").status == 0)
        let signed = try run("sign", "model", "--key", "alice.key")
        #expect(signed.status == 0)
        #expect(FileManager.default.fileExists(atPath: "\(workspace)/model.sig"))
        let root = try run("hash", "model").stdout.trimmingCharacters(in: .newlines)

        let verified = try run("verify", "model", "--signature", "model.sig", "--key", "alice.pub")
        #expect(verified.status == 0)
        #expect(verified.stdout.hasPrefix("verified \(root)\n"))
        #expect(verified.stdout.contains("signed by ecdsa-p256 key"))

        try write("tampered", to: "\(workspace)/model/vocab.txt")
        try write("new", to: "\(workspace)/model/added.bin")
        let tampered = try run("verify", "model", "--signature", "model.sig", "--key", "alice.pub")
        #expect(tampered.status == 1)
        #expect(tampered.stderr.contains("the model does not match its signature: modified: vocab.txt; unexpected: added.bin"))

        let json = try run("verify", "model", "--signature", "model.sig", "--key", "alice.pub", "--json")
        #expect(json.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let error = try #require(object["error"] as? [String: Any])
        #expect(error["code"] as? String == "model_modified")
        #expect(error["modified"] as? [String] == ["vocab.txt"])
    }

    @Test func verifyRejectsUntrustedAndMalformedSignatures() throws {
        #expect(try run("keygen", "--out", "alice").status == 0)
        #expect(try run("keygen", "--type", "ed25519", "--out", "mallory").status == 0)
        #expect(try run("sign", "model", "--key", "mallory.key").status == 0)

        let untrusted = try run("verify", "model", "--key", "alice.pub")
        #expect(untrusted.status == 1)
        #expect(untrusted.stderr.contains("no trusted key made any of the 1 signature(s)"))

        let signature = try String(contentsOfFile: "\(workspace)/model.sig", encoding: .utf8)
        try write(String(signature.prefix(signature.count / 2)), to: "\(workspace)/truncated.sig")
        let truncated = try run("verify", "model", "--signature", "truncated.sig", "--key", "mallory.pub")
        #expect(truncated.status == 1)
        #expect(truncated.stderr.contains("the signature file cannot be read: it is not valid JSON"))

        let privateAsPublic = try run("verify", "model", "--key", "alice.key")
        #expect(privateAsPublic.status == 2)
        #expect(privateAsPublic.stderr.contains("is a private key, but a public key is needed here"))

        let both = try run("verify", "model", "--key", "alice.pub", "--trust", ".")
        #expect(both.status == 2)
        #expect(both.stderr.contains("not both and not neither"))

        let noSignature = try run("verify", "model", "--signature", "nope.sig", "--key", "alice.pub")
        #expect(noSignature.status == 2)
        #expect(noSignature.stderr.contains("signature file 'nope.sig' does not exist"))
    }

    @Test func signatureInsideTheModelIsLeftOutOfTheHash() throws {
        #expect(try run("keygen", "--out", "alice").status == 0)
        let before = try run("hash", "model").stdout
        #expect(try run("sign", "model", "--key", "alice.key", "--signature", "model/model.sig").status == 0)
        let verified = try run("verify", "model", "--signature", "model/model.sig", "--key", "alice.pub")
        #expect(verified.status == 0)
        #expect(verified.stdout.hasPrefix("verified \(before)"))
    }

    @Test func coSignAndThresholdWithATrustDirectory() throws {
        #expect(try run("keygen", "--out", "trust/alice").status == 0)
        #expect(try run("keygen", "--type", "ed25519", "--out", "trust/bob").status == 0)
        // Private keys out of the trust directory: it holds only *.pub.
        try FileManager.default.moveItem(atPath: "\(workspace)/trust/alice.key", toPath: "\(workspace)/alice.key")
        try FileManager.default.moveItem(atPath: "\(workspace)/trust/bob.key", toPath: "\(workspace)/bob.key")

        #expect(try run("sign", "model", "--key", "alice.key").status == 0)
        let one = try run("verify", "model", "--trust", "trust", "--threshold", "2")
        #expect(one.status == 1)
        #expect(one.stderr.contains("but the threshold is 2"))

        let cosigned = try run("sign", "model", "--key", "bob.key", "--append")
        #expect(cosigned.status == 0)
        #expect(cosigned.stdout.contains("(2 signature(s))"))
        let two = try run("verify", "model", "--trust", "trust", "--threshold", "2")
        #expect(two.status == 0)
        #expect(two.stdout.contains("signed by ecdsa-p256 key") && two.stdout.contains("signed by ed25519 key"))

        try write("changed", to: "\(workspace)/model/vocab.txt")
        let wrongModel = try run("sign", "model", "--key", "bob.key", "--append")
        #expect(wrongModel.status == 1)
        #expect(wrongModel.stderr.contains("covers a different model"))
    }

    /// A real model_signing signature copied into the model, named by a path relative to the working directory.
    @Test func modelSigningSignatureInsideTheModel() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("WardenIntegrityTests/Fixtures/model-signing").path
        try FileManager.default.copyItem(atPath: "\(fixtures)/model", toPath: "\(workspace)/signed")
        try FileManager.default.copyItem(atPath: "\(fixtures)/files.sig", toPath: "\(workspace)/signed/model.sig")
        try FileManager.default.copyItem(atPath: "\(fixtures)/keys/signer.pub", toPath: "\(workspace)/signer.pub")

        let verified = try run("verify", "signed", "--signature", "signed/model.sig", "--key", "signer.pub")
        #expect(verified.status == 0)
        #expect(verified.stdout.hasPrefix("verified sha256:b20d15477ce2dd932f1a6ee2a008efbfde6f68c5b0720d070e2c6c66b1b92dfe"))

        #expect(try run("keygen", "--type", "ed25519", "--out", "bob").status == 0)
        let cosigned = try run("sign", "signed", "--key", "bob.key", "--signature", "signed/model.sig", "--append")
        #expect(cosigned.status == 0)
        #expect(try run("verify", "signed", "--signature", "signed/model.sig", "--key", "signer.pub", "--key", "bob.pub", "--threshold", "2").status == 0)
    }
}
