import NIOCore
import Synchronization
import WardenCore

/// A blob in a bucket, read at offsets with ranged GETs.
///
/// Each GET fetches at least `window` bytes and keeps the last window, so the
/// server's sequential 1 MiB reads of a download cost one request per 8 MiB,
/// not one per MiB (a round trip each, and S3-compatible servers may pay per
/// request for seeking into the object). Holds no connection between reads, so
/// any number of tasks may read at once; `close()` stops further reads and
/// drops the window, as the filesystem reader stops its reads.
final class S3BlobReader: BlobReader {
    static let window = 8 << 20

    private struct State {
        var closed = false
        /// The bytes of the last GET and where they start in the blob.
        var cached: (offset: Int64, bytes: ByteBuffer)?
    }

    let size: Int64
    private let client: S3Client
    private let key: String
    private let digest: Digest
    private let state = Mutex(State())

    init(client: S3Client, key: String, digest: Digest, size: Int64) {
        self.client = client
        self.key = key
        self.digest = digest
        self.size = size
    }

    func read(at offset: Int64, upTo count: Int) async throws -> ByteBuffer {
        guard offset >= 0 else { throw BlobStoreErrors.negativeOffset(digest, offset) }
        let cached = try state.withLock { state throws(WardenError) in
            guard !state.closed else { throw BlobStoreErrors.readAfterClose(digest) }
            return state.cached
        }
        guard count > 0, offset < size else { return ByteBuffer() }
        let wanted = offset..<min(size, offset + Int64(count))
        if let cached, cached.offset <= wanted.lowerBound, wanted.upperBound <= cached.offset + Int64(cached.bytes.readableBytes) {
            return cached.bytes.getSlice(at: cached.bytes.readerIndex + Int(wanted.lowerBound - cached.offset), length: wanted.count)!
        }
        let range = offset..<min(size, offset + Int64(max(count, Self.window)))
        // Deleted since it was opened (by gc, say): the same answer as a blob never stored.
        guard let bytes = try await client.getObject(key, range: range) else { throw BlobStoreErrors.missing(digest) }
        guard bytes.readableBytes == range.count else {
            throw WardenError(
                .ioFailure,
                "bucket '\(client.bucket)' answered \(bytes.readableBytes) bytes for bytes \(range.lowerBound)-\(range.upperBound - 1) of blob \(digest); "
                    + "the object changed or the server does not support ranges. Run warden fsck"
            )
        }
        state.withLock { $0.cached = (offset, bytes) }
        return bytes.getSlice(at: bytes.readerIndex, length: wanted.count)!
    }

    func close() {
        state.withLock { state in
            state.closed = true
            state.cached = nil
        }
    }
}
