import Crypto
import WardenCore

/// An Ed25519 private key that signs notes (c2sp.org/signed-note) under a key name.
///
/// ```swift
/// let signer = try NoteSigner(keyName: "warden.example/log", privateKey: Curve25519.Signing.PrivateKey())
/// let note = try signer.sign(checkpoint.body)
/// print(note.text)                       // the body, a blank line, "— warden.example/log <base64>"
/// print(signer.verifier.verifierKey)     // publish this for clients
/// ```
public struct NoteSigner: Sendable {
    public let privateKey: Curve25519.Signing.PrivateKey
    /// The matching verifier (key name, public key and key id).
    public let verifier: NoteVerifier

    /// - Throws: `WardenError(.invalidKey)` when `keyName` is empty or holds a space or `+`.
    public init(keyName: String, privateKey: Curve25519.Signing.PrivateKey) throws {
        self.privateKey = privateKey
        self.verifier = try NoteVerifier(keyName: keyName, publicKey: privateKey.publicKey)
    }

    /// Uses an Ed25519 `SigningKey` (as `warden keygen --type ed25519` makes) for notes.
    /// - Throws: `WardenError(.unsupportedKey)` for ECDSA keys, `.invalidKey` for a bad name.
    public init(keyName: String, signingKey: SigningKey) throws {
        guard case .ed25519(let key) = signingKey.backing else {
            throw WardenError(.unsupportedKey, "signed notes use Ed25519 keys, but this is an \(signingKey.type) key; make one with 'warden keygen --type ed25519'")
        }
        try self.init(keyName: keyName, privateKey: key)
    }

    public var keyName: String { verifier.keyName }
    public var keyID: UInt32 { verifier.keyID }

    /// Signs `text` (which must end in a newline) into a new note with this one signature.
    /// - Throws: `WardenError(.invalidArgument)` when the text cannot be a note text.
    public func sign(_ text: String) throws -> SignedNote {
        try sign(SignedNote(text: text, signatures: []))
    }

    /// Adds this key's signature to `note` (a cosignature), replacing any earlier one by this key.
    /// Verify the note's other signatures first: signing vouches for its text.
    /// - Throws: `WardenError(.invalidArgument)` when the note text is malformed or the note is full.
    public func sign(_ note: SignedNote) throws -> SignedNote {
        try NoteFormat.checkText(Array(note.text.utf8))
        let raw: [UInt8]
        do {
            raw = Array(try privateKey.signature(for: Array(note.text.utf8)))
        } catch {
            throw WardenError(.ioFailure, "signing the note with key \(keyName) failed: \(error)", cause: error)
        }
        var signatures = note.signatures.filter { !($0.keyName == keyName && $0.keyID == keyID) }
        signatures.append(SignedNote.Signature(keyName: keyName, keyID: keyID, signature: raw))
        guard signatures.count <= SignedNote.maxSignatures else {
            throw WardenError(.invalidArgument, "the note already has \(note.signatures.count) signatures; a note holds at most \(SignedNote.maxSignatures)")
        }
        return SignedNote(text: note.text, signatures: signatures)
    }
}
