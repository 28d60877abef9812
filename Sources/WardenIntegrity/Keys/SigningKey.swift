import Crypto
import CryptoExtras
import Foundation
import SwiftASN1
import WardenCore
import X509

/// A private key that signs models.
///
/// ```swift
/// let key = SigningKey.generate(.ecdsaP256)
/// try key.pkcs8PEM.write(toFile: "signer.key", atomically: true, encoding: .utf8)
/// ```
public struct SigningKey: Sendable {
    enum Backing: Sendable {
        case p256(P256.Signing.PrivateKey)
        case p384(P384.Signing.PrivateKey)
        case p521(P521.Signing.PrivateKey)
        case ed25519(Curve25519.Signing.PrivateKey)
    }

    let backing: Backing
    public let publicKey: VerifyingKey

    init(_ backing: Backing) {
        self.backing = backing
        switch backing {
        case .p256(let key): publicKey = VerifyingKey(.p256(key.publicKey))
        case .p384(let key): publicKey = VerifyingKey(.p384(key.publicKey))
        case .p521(let key): publicKey = VerifyingKey(.p521(key.publicKey))
        case .ed25519(let key): publicKey = VerifyingKey(.ed25519(key.publicKey))
        }
    }

    /// A new random key of `type`.
    public static func generate(_ type: KeyType) -> SigningKey {
        switch type {
        case .ecdsaP256: SigningKey(.p256(.init()))
        case .ecdsaP384: SigningKey(.p384(.init()))
        case .ecdsaP521: SigningKey(.p521(.init()))
        case .ed25519: SigningKey(.ed25519(.init()))
        }
    }

    /// Parses a PKCS#8 (`PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`) PEM.
    /// - Throws: `WardenError` when the text is garbage, a public key, encrypted, or of an unsupported type or curve.
    public init(pem text: String, source: String = "the key") throws {
        let document = try PEMInput.keyDocument(text, source: source)
        if PEMInput.publicLabels.contains(document.discriminator) {
            throw WardenError(
                .publicKeyWherePrivateExpected,
                "\(source) is a public key, but signing needs the private key; pass the .key file"
            )
        }
        guard PEMInput.privateLabels.contains(document.discriminator) else {
            throw WardenError(
                .invalidKey,
                "\(source) is a PEM '\(document.discriminator)' block, not a private key; expected '-----BEGIN PRIVATE KEY-----'"
            )
        }
        // swift-certificates reads the algorithm identifier; the concrete
        // swift-crypto key is then decoded from the same DER.
        let parsed: Certificate.PrivateKey
        do {
            parsed = try Certificate.PrivateKey(pemDocument: document)
        } catch {
            throw WardenError(
                .unsupportedKey,
                PEMInput.unsupportedTypeMessage(source: source, found: Self.describe(document)),
                cause: error
            )
        }
        let der = document.derBytes
        let pem = document.pemString
        do {
            let key = parsed.publicKey
            if P256.Signing.PublicKey(key) != nil {
                self.init(.p256(try P256.Signing.PrivateKey(pemRepresentation: pem)))
            } else if P384.Signing.PublicKey(key) != nil {
                self.init(.p384(try P384.Signing.PrivateKey(pemRepresentation: pem)))
            } else if P521.Signing.PublicKey(key) != nil {
                self.init(.p521(try P521.Signing.PrivateKey(pemRepresentation: pem)))
            } else if Curve25519.Signing.PublicKey(key) != nil {
                self.init(.ed25519(try Curve25519.Signing.PrivateKey(derRepresentation: der)))
            } else {
                throw WardenError(.unsupportedKey, PEMInput.unsupportedTypeMessage(source: source, found: Self.describe(document)))
            }
        } catch let error as WardenError {
            throw error
        } catch {
            throw WardenError(.invalidKey, "\(source) could not be decoded as a private key: \(error)", cause: error)
        }
    }

    private static func describe(_ document: PEMDocument) -> String {
        document.discriminator == "EC PRIVATE KEY"
            ? "an EC key on a curve that is not supported"
            : PEMInput.describeAlgorithm(der: document.derBytes, isPrivate: true)
    }

    /// Reads and parses a private key file.
    public init(contentsOf path: String) throws {
        try self.init(pem: try readKeyFile(path), source: "'\(path)'")
    }

    public var type: KeyType { publicKey.type }
    public var keyID: String { publicKey.keyID }

    /// PKCS#8 PEM, ending in a newline.
    public var pkcs8PEM: String {
        let der: [UInt8] =
            switch backing {
            case .p256(let key): Array(key.derRepresentation)
            case .p384(let key): Array(key.derRepresentation)
            case .p521(let key): Array(key.derRepresentation)
            case .ed25519(let key): Array(key.derRepresentation)
            }
        return PEMDocument(type: "PRIVATE KEY", derBytes: der).pemString + "\n"
    }

    /// Signs `message`: DER ECDSA with the curve's hash, or raw Ed25519.
    public func signature(for message: [UInt8]) throws -> [UInt8] {
        do {
            switch backing {
            case .p256(let key): return Array(try key.signature(for: message).derRepresentation)
            case .p384(let key): return Array(try key.signature(for: message).derRepresentation)
            case .p521(let key): return Array(try key.signature(for: message).derRepresentation)
            case .ed25519(let key): return Array(try key.signature(for: message))
            }
        } catch {
            throw WardenError(.ioFailure, "signing failed: \(error)", cause: error)
        }
    }
}
