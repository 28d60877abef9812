import Foundation
import WardenCore

/// A transparency log's tree head in the c2sp.org/tlog-checkpoint format: the
/// body of a signed note, one item per line, each ending in a newline:
///
/// ```text
/// warden.example/log
/// 20852163
/// CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=
/// ```
///
/// The origin, the tree size in decimal, the base64 RFC 6962 root hash, then
/// optional opaque extension lines.
///
/// ```swift
/// // Log side
/// let checkpoint = try Checkpoint(origin: "warden.example/log", size: range.size, rootHash: range.root)
/// let note = try signer.sign(checkpoint.body).serialized
/// // Client side
/// let head = try Checkpoint.verified(note, by: logVerifier)
/// ```
public struct Checkpoint: Sendable, Hashable, CustomStringConvertible {
    /// The log's identity; it should match the signing key's name.
    public let origin: String
    /// The number of leaves.
    public let size: Int
    /// The 32-byte Merkle tree root at `size`.
    public let rootHash: [UInt8]
    /// Opaque, non-empty extra lines (not recommended by the spec: monitors cannot audit them).
    public let extensions: [String]

    /// - Throws: `WardenError(.invalidArgument)` when the size is negative, the origin is empty or holds a newline,
    ///   the root hash is not 32 bytes, or an extension line is empty or holds a newline.
    public init(origin: String, size: Int, rootHash: [UInt8], extensions: [String] = []) throws {
        guard size >= 0 else {
            throw WardenError(.invalidArgument, "a checkpoint tree size cannot be negative, but \(size) was given")
        }
        guard !origin.isEmpty, !origin.contains("\n") else {
            throw WardenError(.invalidArgument, "a checkpoint origin must be one non-empty line, such as warden.example/log")
        }
        guard rootHash.count == MerkleTree.hashSize else {
            throw WardenError(.invalidArgument, "a checkpoint root hash is \(MerkleTree.hashSize) bytes, but \(rootHash.count) were given")
        }
        for (position, line) in extensions.enumerated() where line.isEmpty || line.contains("\n") {
            throw WardenError(.invalidArgument, "checkpoint extension line \(position) must be one non-empty line")
        }
        self.origin = origin
        self.size = size
        self.rootHash = rootHash
        self.extensions = extensions
    }

    /// The note text: origin, size, base64 root hash and extension lines, each followed by a newline.
    public var body: String {
        ([origin, String(size), Data(rootHash).base64EncodedString()] + extensions).map { $0 + "\n" }.joined()
    }

    public var description: String { body }

    /// Parses a checkpoint from a note text (`SignedNote.text`, after verification).
    /// - Throws: `WardenError(.malformedSignature)` naming the line that is wrong.
    public static func parse(noteBody text: String) throws -> Checkpoint {
        guard text.hasSuffix("\n") else {
            throw malformed("the body does not end in a newline (truncated?)")
        }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 3 else {
            throw malformed("it has \(lines.count) lines, but needs the origin, the tree size and the root hash")
        }
        if let control = text.unicodeScalars.first(where: { $0.value < 0x20 && $0 != "\n" }) {
            throw malformed("it holds control character U+\(String(control.value, radix: 16, uppercase: true)); only newlines are allowed")
        }
        guard !lines[0].isEmpty else {
            throw malformed("the origin (line 1) is empty")
        }
        let sizeText = lines[1]
        guard let size = Int(sizeText), sizeText.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            sizeText == "0" || !sizeText.hasPrefix("0")
        else {
            throw malformed("the tree size (line 2) '\(sizeText)' is not a decimal number without leading zeros")
        }
        guard let root = NoteFormat.decodeBase64(lines[2]), root.count == MerkleTree.hashSize else {
            throw malformed("the root hash (line 3) '\(lines[2])' is not the canonical base64 of \(MerkleTree.hashSize) bytes")
        }
        let extensions = Array(lines[3...])
        if let empty = extensions.firstIndex(where: \.isEmpty) {
            throw malformed("extension line \(empty + 4) is empty; extension lines must not be")
        }
        return try Checkpoint(origin: lines[0], size: size, rootHash: root, extensions: extensions)
    }

    /// Parses a signed checkpoint note, checks its signature by `verifier`, and parses its body.
    ///
    /// Also requires the origin to equal the verifier's key name, as the spec
    /// recommends logs do, so a checkpoint of one log cannot be passed off as another's
    /// when both share a key.
    /// - Throws: `WardenError(.malformedSignature)` for a malformed note or body,
    ///   `.untrustedSignature` when the signature does not verify or the origin is another log's.
    public static func verified(_ signedNote: String, by verifier: NoteVerifier) throws -> Checkpoint {
        let note = try SignedNote.parse(signedNote)
        try note.verify(with: verifier)
        let checkpoint = try parse(noteBody: note.text)
        guard checkpoint.origin == verifier.keyName else {
            throw WardenError(
                .untrustedSignature,
                "the checkpoint is for log '\(checkpoint.origin)', but was checked with the key of '\(verifier.keyName)'; use that log's verifier key"
            )
        }
        return checkpoint
    }

    private static func malformed(_ reason: String) -> WardenError {
        WardenError(.malformedSignature, "malformed checkpoint: \(reason)")
    }
}
