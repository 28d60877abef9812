import Crypto
import WardenCore

/// Streaming SHA-256 over a blob's bytes as they arrive.
///
/// Lives in its own file because swift-crypto declares a `Digest` protocol:
/// importing `Crypto` anywhere else in the blob store would make Warden's
/// `Digest` ambiguous.
struct BlobHasher {
    private var hasher = SHA256()

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
    }

    /// The digest of everything fed so far. The hasher is a value: finishing a copy leaves it usable.
    func finalize() -> WardenCore.Digest {
        WardenCore.Digest(hasher.finalize())
    }
}
