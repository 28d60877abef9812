import Crypto
import Foundation
import WardenCore
import WardenIntegrity

#if canImport(Glibc)
import Glibc
#endif

/// The signing side of the audit log: the log's Ed25519 key and its name (the
/// checkpoint origin). Every registry mutation is appended as a leaf of an
/// RFC 6962 Merkle tree in the same transaction as the mutation, with a C2SP
/// checkpoint signed for the new tree size.
///
/// ```swift
/// let log = try AuditLog.openOrCreate(directory: "warden-data")   // audit.key (0600), audit.pub
/// let store = try SQLiteMetadataStore(path: "warden-data/warden.db", audit: log)
/// ```
public struct AuditLog: Sendable {
    public let signer: NoteSigner
    public var verifier: NoteVerifier { signer.verifier }
    /// The checkpoint origin, which is also the key name.
    public var origin: String { signer.keyName }

    public init(signer: NoteSigner) {
        self.signer = signer
    }

    /// Reads `DIR/audit.key`, or creates it (mode 0600) with `DIR/audit.pub`, the verifier key
    /// anyone can check proofs and checkpoints with.
    /// - Throws: `.ioFailure`, or `.invalidKey` for a damaged key file.
    public static func openOrCreate(directory: String) throws -> AuditLog {
        let keyPath = (directory as NSString).appendingPathComponent("audit.key")
        let publicPath = (directory as NSString).appendingPathComponent("audit.pub")
        let key: Curve25519.Signing.PrivateKey
        if let text = try? String(contentsOfFile: keyPath, encoding: .utf8) {
            guard let raw = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)),
                  let parsed = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
                throw WardenError(.invalidKey, "'\(keyPath)' is not an audit log key (base64 of a 32-byte Ed25519 key); restore it from a backup, or the existing checkpoints cannot be extended")
            }
            key = parsed
        } else {
            key = Curve25519.Signing.PrivateKey()
            try writePrivate(keyPath, key.rawRepresentation.base64EncodedString() + "\n")
        }
        let hash = SHA256.hash(data: key.publicKey.rawRepresentation).prefix(4).map { String(format: "%02x", $0) }.joined()
        let signer = try NoteSigner(keyName: "warden.audit/\(hash)", privateKey: key)
        let log = AuditLog(signer: signer)
        do {
            try (log.verifier.verifierKey + "\n").write(toFile: publicPath, atomically: true, encoding: .utf8)
        } catch {
            throw WardenError(.ioFailure, "cannot write '\(publicPath)': \(error.localizedDescription)", cause: error)
        }
        return log
    }

    private static func writePrivate(_ path: String, _ text: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw WardenError(.ioFailure, "cannot create '\(path)': \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        fsync(fd)
        guard written == bytes.count else { throw WardenError(.ioFailure, "cannot write '\(path)'") }
    }

    /// The checkpoint for a tree, signed.
    func checkpoint(size: Int, root: [UInt8]) throws -> String {
        try signer.sign(Checkpoint(origin: origin, size: size, rootHash: root).body).serialized
    }
}

/// One entry of the audit log as stored: its position, the event it records and the checkpoint after it.
public struct AuditEntry: Sendable, Hashable {
    /// 0-based position in the tree.
    public var index: Int
    /// The registry event sequence it records.
    public var sequence: Int64
    /// The canonical JSON of the event: what the leaf hash covers.
    public var entry: String
    /// The signed checkpoint for the tree of `index + 1` entries.
    public var checkpoint: String

    public init(index: Int, sequence: Int64, entry: String, checkpoint: String) {
        self.index = index
        self.sequence = sequence
        self.entry = entry
        self.checkpoint = checkpoint
    }
}
