import Crypto
import Foundation
import WardenCore

/// A public key that checks Ed25519 signatures on signed notes (c2sp.org/signed-note),
/// under a key name such as `warden.example/log`.
///
/// Its text form is the standard verifier key `<name>+<hex key id>+<base64(0x01 ‖ public key)>`,
/// as Go's `golang.org/x/mod/sumdb/note` and the transparency-dev tools write it.
///
/// ```swift
/// let verifier = try NoteVerifier(verifierKey: "warden.example/log+1a2b3c4d+AXx...")
/// try SignedNote.parse(text).verify(with: verifier)
/// ```
public struct NoteVerifier: Sendable, Hashable, CustomStringConvertible {
    /// The signature type byte the spec assigns to Ed25519.
    static let ed25519Type: UInt8 = 0x01

    /// The name in signature lines.
    public let keyName: String
    public let publicKey: Curve25519.Signing.PublicKey
    /// SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key)[0..<4], big-endian.
    public let keyID: UInt32

    /// - Throws: `WardenError(.invalidKey)` when `keyName` is empty or holds a space or `+`.
    public init(keyName: String, publicKey: Curve25519.Signing.PublicKey) throws {
        try NoteFormat.checkKeyName(keyName)
        self.keyName = keyName
        self.publicKey = publicKey
        self.keyID = Self.keyID(name: keyName, publicKey: Array(publicKey.rawRepresentation))
    }

    /// Uses an Ed25519 `VerifyingKey` (as `warden keygen --type ed25519` makes) for notes.
    /// - Throws: `WardenError(.unsupportedKey)` for ECDSA keys, `.invalidKey` for a bad name.
    public init(keyName: String, verifyingKey: VerifyingKey) throws {
        guard case .ed25519(let key) = verifyingKey.backing else {
            throw WardenError(.unsupportedKey, "signed notes use Ed25519 keys, but this is an \(verifyingKey.type) key; make one with 'warden keygen --type ed25519'")
        }
        try self.init(keyName: keyName, publicKey: key)
    }

    /// Parses a verifier key `<name>+<8 hex digits>+<base64(0x01 ‖ 32-byte key)>`.
    /// - Throws: `WardenError(.invalidKey)` naming the part that is wrong, including a key id
    ///   that does not match the name and key (a mistyped or tampered verifier key).
    public init(verifierKey text: String) throws {
        // Base64 may hold '+', so only the first two separate fields.
        let parts = text.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw WardenError(.invalidKey, "'\(text)' is not a note verifier key; expected <name>+<8 hex digits>+<base64 key>")
        }
        let name = String(parts[0])
        guard parts[1].utf8.count == 8, let idBytes = Hex.decode(parts[1]) else {
            throw WardenError(.invalidKey, "note verifier key '\(text)' has key id '\(parts[1])'; expected 8 hexadecimal digits")
        }
        guard let encoded = NoteFormat.decodeBase64(parts[2]), encoded.count == 33, encoded[0] == Self.ed25519Type else {
            throw WardenError(
                .invalidKey,
                "note verifier key '\(text)' does not end in an Ed25519 key: expected the base64 of 0x01 followed by 32 key bytes"
            )
        }
        let key: Curve25519.Signing.PublicKey
        do {
            key = try Curve25519.Signing.PublicKey(rawRepresentation: encoded[1...])
        } catch {
            throw WardenError(.invalidKey, "note verifier key '\(text)' holds a malformed Ed25519 public key", cause: error)
        }
        try self.init(keyName: name, publicKey: key)
        let statedID = idBytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard statedID == keyID else {
            throw WardenError(
                .invalidKey,
                "note verifier key '\(text)' states key id \(parts[1]), but its name and key give \(NoteFormat.hexID(keyID)); the key string is mistyped or altered"
            )
        }
    }

    /// `<name>+<hex key id>+<base64(0x01 ‖ public key)>`.
    public var verifierKey: String {
        "\(keyName)+\(NoteFormat.hexID(keyID))+\(Data([Self.ed25519Type] + publicKey.rawRepresentation).base64EncodedString())"
    }

    /// The verifier key string.
    public var description: String { verifierKey }

    /// Whether `signature` (64 bytes, without the key id) is this key's Ed25519 signature of `text`.
    public func isValidSignature(_ signature: [UInt8], for text: [UInt8]) -> Bool {
        publicKey.isValidSignature(signature, for: text)
    }

    static func keyID(name: String, publicKey: [UInt8]) -> UInt32 {
        var hasher = SHA256()
        hasher.update(data: Array(name.utf8) + [0x0A, ed25519Type])
        hasher.update(data: publicKey)
        return hasher.finalize().prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    public static func == (lhs: NoteVerifier, rhs: NoteVerifier) -> Bool {
        lhs.keyName == rhs.keyName && lhs.publicKey.rawRepresentation == rhs.publicKey.rawRepresentation
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(keyName)
        hasher.combine(publicKey.rawRepresentation)
    }
}
