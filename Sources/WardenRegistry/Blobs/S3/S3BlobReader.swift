import NIOCore
import Synchronization
import WardenCore

/// A blob in a bucket, read at offsets with ranged GETs.
///
/// Holds no connection between reads, so any number of tasks may read at once;
/// `close()` only stops further reads, as the filesystem reader does.
final class S3BlobReader: BlobReader {
    let size: Int64
    private let client: S3Client
    private let key: String
    private let digest: Digest
    private let closed = Mutex(false)

    init(client: S3Client, key: String, digest: Digest, size: Int64) {
        self.client = client
        self.key = key
        self.digest = digest
        self.size = size
    }

    func read(at offset: Int64, upTo count: Int) async throws -> ByteBuffer {
        guard offset >= 0 else { throw BlobStoreErrors.negativeOffset(digest, offset) }
        guard !closed.withLock({ $0 }) else { throw BlobStoreErrors.readAfterClose(digest) }
        guard count > 0, offset < size else { return ByteBuffer() }
        let range = offset..<min(size, offset + Int64(count))
        // Deleted since it was opened (by gc, say): the same answer as a blob never stored.
        guard let bytes = try await client.getObject(key, range: range) else { throw BlobStoreErrors.missing(digest) }
        guard bytes.readableBytes == range.count else {
            throw WardenError(
                .ioFailure,
                "bucket '\(client.bucket)' answered \(bytes.readableBytes) bytes for bytes \(range.lowerBound)-\(range.upperBound - 1) of blob \(digest); "
                    + "the object changed or the server does not support ranges. Run warden fsck"
            )
        }
        return bytes
    }

    func close() {
        closed.withLock { $0 = true }
    }
}
