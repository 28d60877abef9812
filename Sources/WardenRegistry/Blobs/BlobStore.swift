import Foundation
import NIOCore
import WardenCore

/// Content-addressed storage for the files of model versions.
///
/// A blob is named by the SHA-256 of its bytes. Uploads stream through the
/// hash; bytes that do not hash to their claimed name are never stored, and
/// a blob is never visible half-written. Implementations:
/// `FileSystemBlobStore` (a folder) and `S3BlobStore` (an S3-compatible bucket).
///
/// The requirements are `async` because object storage answers over the
/// network; the filesystem store meets them with its synchronous methods, so
/// it costs nothing there.
public protocol BlobStore: Sendable {
    /// The blob's size, or nil when it is absent.
    func size(of digest: Digest) async throws -> Int64?
    /// Starts an upload; bytes go to a temporary place until `commit`.
    /// - Parameter maximumSize: refuse the upload once it exceeds this many bytes.
    func beginUpload(maximumSize: Int64?) async throws -> any BlobUpload
    /// Opens a stored blob for reading.
    /// - Throws: `.notFound` when it is absent.
    func open(_ digest: Digest) async throws -> any BlobReader
    /// Makes the blob appear at `path` without copying where the store can
    /// (a hard link on the same filesystem), for inspecting or serving a version.
    func materialize(_ digest: Digest, at path: String) async throws
    /// Every stored digest, sorted, for `warden fsck` and `warden gc`.
    func allDigests() async throws -> [Digest]
    /// Deletes a stored blob, for `warden gc` once no version references it.
    /// - Returns: the bytes freed (0 when the blob was not there).
    @discardableResult
    func remove(_ digest: Digest) async throws -> Int64
}

/// An upload in progress. Not thread-safe: one writer at a time.
public protocol BlobUpload: AnyObject, Sendable {
    /// Bytes received so far.
    var count: Int64 { get }
    /// Appends bytes and feeds them to the hash.
    /// - Throws: `.payloadTooLarge` once past the maximum size (the upload is aborted).
    func append(_ chunk: ByteBuffer) async throws
    /// Checks the hash against `expected` (when given), makes the blob durable
    /// and visible under its digest, and returns the digest.
    /// - Throws: `.digestMismatch` naming both digests; nothing is stored.
    func commit(expected: Digest?) async throws -> Digest
    /// Drops the temporary bytes. Safe to call more than once, and after `commit`.
    func abort() async
}

extension BlobUpload {
    /// Appends bytes held in an array (tests, small blobs).
    public func append(contentsOf bytes: some Sequence<UInt8>) async throws {
        try await append(ByteBuffer(bytes: bytes))
    }
}

/// A stored blob, read at offsets (for HTTP ranges). Thread-safe.
public protocol BlobReader: AnyObject, Sendable {
    var size: Int64 { get }
    /// Reads up to `count` bytes at `offset`; an empty buffer at the end.
    func read(at offset: Int64, upTo count: Int) async throws -> ByteBuffer
    func close()
}
