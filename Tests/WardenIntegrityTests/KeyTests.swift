import Crypto
import Foundation
import Testing
@testable import WardenIntegrity

@Suite struct KeyTests {
    @Test(arguments: KeyType.allCases)
    func generatedKeysRoundTripThroughPEM(type: KeyType) throws {
        let key = SigningKey.generate(type)
        #expect(key.type == type)
        #expect(key.pkcs8PEM.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        #expect(key.publicKey.pem.hasPrefix("-----BEGIN PUBLIC KEY-----\n"))
        #expect(key.publicKey.pem.hasSuffix("-----END PUBLIC KEY-----\n"))

        let reloaded = try SigningKey(pem: key.pkcs8PEM)
        #expect(reloaded.keyID == key.keyID)
        let publicKey = try VerifyingKey(pem: key.publicKey.pem)
        #expect(publicKey == key.publicKey)

        let message = Array("DSSEv1 4 test 5 hello".utf8)
        let signature = try reloaded.signature(for: message)
        #expect(publicKey.isValidSignature(signature, for: message))
        #expect(!publicKey.isValidSignature(signature, for: message + [0]))
    }

    /// The OMS hint is SHA-256 of the canonical PEM text, final newline included.
    @Test func keyIDIsTheHashOfTheCanonicalPEM() throws {
        let key = try VerifyingKey(contentsOf: fixture("keys/p256-sec1.pub"))
        #expect(key.keyID == Digest.sha256(Array(key.pem.utf8)).hex)
        let original = try String(contentsOfFile: fixture("keys/p256-sec1.pub"), encoding: .utf8)
        #expect(key.keyID == Digest.sha256(Array(original.utf8)).hex)
        // The same key wrapped at 76 columns with CRLF line ends has the same id.
        let rewrapped = try VerifyingKey(contentsOf: fixture("keys/p256-76col-crlf.pub"))
        #expect(rewrapped.keyID == key.keyID)
    }

    @Test func readsSEC1KeysAfterAnECParametersBlock() throws {
        let key = try SigningKey(contentsOf: fixture("keys/p256-sec1-with-params.key"))
        #expect(key.type == .ecdsaP256)
        #expect(key.publicKey == (try VerifyingKey(contentsOf: fixture("keys/p256-sec1.pub"))))
    }

    @Test func readsOpenSSLEd25519Keys() throws {
        let key = try SigningKey(contentsOf: fixture("keys/ed25519.key"))
        #expect(key.type == .ed25519)
        #expect(key.publicKey == (try VerifyingKey(contentsOf: fixture("keys/ed25519.pub"))))
        // OpenSSL writes canonical PEM, so the id is the hash of the file as written.
        let file = try String(contentsOfFile: fixture("keys/ed25519.pub"), encoding: .utf8)
        #expect(key.keyID == Digest.sha256(Array(file.utf8)).hex)
    }


    @Test func privateKeyWherePublicExpected() {
        expectWardenError(.privateKeyWherePublicExpected, containing: "is a private key, but a public key is needed") {
            _ = try VerifyingKey(contentsOf: fixture("keys/ed25519.key"))
        }
        expectWardenError(.privateKeyWherePublicExpected, containing: "pass the .pub file") {
            _ = try VerifyingKey(contentsOf: fixture("keys/p256-sec1-with-params.key"))
        }
    }

    @Test func publicKeyWherePrivateExpected() {
        expectWardenError(.publicKeyWherePrivateExpected, containing: "signing needs the private key") {
            _ = try SigningKey(contentsOf: fixture("keys/ed25519.pub"))
        }
    }

    @Test func unsupportedKeyTypesAndCurves() {
        expectWardenError(.unsupportedKey, containing: "RSA") { _ = try VerifyingKey(contentsOf: fixture("keys/rsa.pub")) }
        expectWardenError(.unsupportedKey, containing: "RSA") { _ = try SigningKey(contentsOf: fixture("keys/rsa.key")) }
        expectWardenError(.unsupportedKey, containing: "an EC key on curve secp256k1, which is not supported") {
            _ = try VerifyingKey(contentsOf: fixture("keys/secp256k1.pub"))
        }
        expectWardenError(.unsupportedKey, containing: "an EC key on curve secp256k1, which is not supported") {
            _ = try SigningKey(contentsOf: fixture("keys/secp256k1.key"))
        }
        expectWardenError(.unsupportedKey, containing: "encrypted private key") {
            _ = try SigningKey(contentsOf: fixture("keys/p256-encrypted.key"))
        }
    }

    @Test func garbagePEM() {
        expectWardenError(.unsupportedKey, containing: "not a well-formed SubjectPublicKeyInfo public key") {
            _ = try VerifyingKey(contentsOf: fixture("keys/garbage.pub"))
        }
        expectWardenError(.invalidKey, containing: "has no '-----BEGIN ...-----' block") { _ = try VerifyingKey(contentsOf: fixture("keys/notpem.pub")) }
        expectWardenError(.invalidKey, containing: "has no '-----BEGIN ...-----' block") { _ = try VerifyingKey(pem: "") }
        expectWardenError(.invalidKey, containing: "has no END line (truncated?)") { _ = try VerifyingKey(pem: "-----BEGIN PUBLIC KEY-----\nMFkw\n") }
        expectWardenError(.invalidKey, containing: "is not valid base64") {
            _ = try VerifyingKey(pem: "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n")
        }
        expectWardenError(.pathNotFound, containing: "does not exist") { _ = try VerifyingKey(contentsOf: "/nonexistent/key.pub") }
    }

    @Test func certificateIsNotAKey() {
        let pem = "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n"
        expectWardenError(.invalidKey, containing: "not a public key") { _ = try VerifyingKey(pem: pem) }
    }
}
