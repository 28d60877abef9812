import Crypto
import Foundation
import SwiftASN1
import WardenCore
import X509

/// A public key that verifies model signatures.
///
/// Its `keyID` is the OMS key hint: the hex SHA-256 of the key's canonical
/// SubjectPublicKeyInfo PEM (64-character lines, final newline included), so
/// the same key has the same id however its file was formatted.
public struct VerifyingKey: Sendable, Hashable, CustomStringConvertible {
    enum Backing: Sendable {
        case p256(P256.Signing.PublicKey)
        case p384(P384.Signing.PublicKey)
        case p521(P521.Signing.PublicKey)
        case ed25519(Curve25519.Signing.PublicKey)

        /// The DER SubjectPublicKeyInfo.
        var spkiDER: [UInt8] {
            switch self {
            case .p256(let key): Array(key.derRepresentation)
            case .p384(let key): Array(key.derRepresentation)
            case .p521(let key): Array(key.derRepresentation)
            // RFC 8410: SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (32-byte key) }.
            case .ed25519(let key): [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00] + Array(key.rawRepresentation)
            }
        }
    }

    let backing: Backing
    /// Canonical SubjectPublicKeyInfo PEM, ending in a newline.
    public let pem: String
    /// Hex SHA-256 of `pem`: the OMS `publicKey.hint`.
    public let keyID: String

    init(_ backing: Backing) {
        self.backing = backing
        let document = PEMDocument(type: "PUBLIC KEY", derBytes: backing.spkiDER)
        pem = document.pemString + "\n"
        keyID = Digest.sha256(Array(pem.utf8)).hex
    }

    /// Parses a SubjectPublicKeyInfo PEM.
    /// - Parameter source: how to name the input in errors (a file path).
    /// - Throws: `WardenError` when the text is not a public key, is a private key, or is of an unsupported type.
    public init(pem text: String, source: String = "the key") throws {
        let document = try PEMInput.keyDocument(text, source: source)
        if PEMInput.privateLabels.contains(document.discriminator) {
            throw WardenError(
                .privateKeyWherePublicExpected,
                "\(source) is a private key, but a public key is needed here; pass the .pub file (never share the .key)"
            )
        }
        guard PEMInput.publicLabels.contains(document.discriminator) else {
            throw WardenError(
                .invalidKey,
                "\(source) is a PEM '\(document.discriminator)' block, not a public key; expected '-----BEGIN PUBLIC KEY-----'"
            )
        }
        let key: Certificate.PublicKey
        do {
            key = try Certificate.PublicKey(pemDocument: document)
        } catch {
            throw WardenError(
                .unsupportedKey,
                PEMInput.unsupportedTypeMessage(source: source, found: PEMInput.describeAlgorithm(der: document.derBytes, isPrivate: false)),
                cause: error
            )
        }
        if let p256 = P256.Signing.PublicKey(key) {
            self.init(.p256(p256))
        } else if let p384 = P384.Signing.PublicKey(key) {
            self.init(.p384(p384))
        } else if let p521 = P521.Signing.PublicKey(key) {
            self.init(.p521(p521))
        } else if let ed25519 = Curve25519.Signing.PublicKey(key) {
            self.init(.ed25519(ed25519))
        } else {
            throw WardenError(
                .unsupportedKey,
                PEMInput.unsupportedTypeMessage(source: source, found: PEMInput.describeAlgorithm(der: document.derBytes, isPrivate: false))
            )
        }
    }

    /// Reads and parses a public key file.
    public init(contentsOf path: String) throws {
        try self.init(pem: try readKeyFile(path), source: "'\(path)'")
    }

    public var type: KeyType {
        switch backing {
        case .p256: .ecdsaP256
        case .p384: .ecdsaP384
        case .p521: .ecdsaP521
        case .ed25519: .ed25519
        }
    }

    /// Whether `signature` (DER ECDSA, or raw Ed25519) was made over `message`
    /// by this key's private key. ECDSA uses the curve's hash: SHA-256 for
    /// P-256, SHA-384 for P-384, SHA-512 for P-521.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        switch backing {
        case .p256(let key):
            guard let sig = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return key.isValidSignature(sig, for: message)
        case .p384(let key):
            guard let sig = try? P384.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return key.isValidSignature(sig, for: message)
        case .p521(let key):
            guard let sig = try? P521.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return key.isValidSignature(sig, for: message)
        case .ed25519(let key):
            return key.isValidSignature(signature, for: message)
        }
    }

    /// `ecdsa-p256 <key id>`.
    public var description: String { "\(type) \(keyID)" }

    /// Two keys are the same key when their SubjectPublicKeyInfo (and so their id) is.
    public static func == (lhs: VerifyingKey, rhs: VerifyingKey) -> Bool { lhs.keyID == rhs.keyID }
    public func hash(into hasher: inout Hasher) { hasher.combine(keyID) }
}

/// Reads a key file as UTF-8 text with errors a person can act on.
func readKeyFile(_ path: String) throws -> String {
    guard FileManager.default.fileExists(atPath: path) else {
        throw WardenError(.pathNotFound, "key file '\(path)' does not exist; create one with 'warden keygen --out PREFIX'")
    }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw WardenError(.unreadableFile, "cannot read key file '\(path)'; check its permissions")
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw WardenError(.invalidKey, "'\(path)' is not text, so not a PEM key; expected '-----BEGIN ...-----'")
    }
    return text
}
