import Foundation
import WardenCore

/// Content-addressed storage for the files of model versions.
///
/// A blob is named by the SHA-256 of its bytes. Uploads stream through the
/// hash; bytes that do not hash to their claimed name are never stored, and
/// a blob is never visible half-written. Implementations:
/// `FileSystemBlobStore` now; S3-compatible object storage later.
public protocol BlobStore: Sendable {
    /// The blob's size, or nil when it is absent.
    func size(of digest: Digest) throws -> Int64?
    /// Starts an upload; bytes go to a temporary place until `commit`.
    /// - Parameter maximumSize: refuse the upload once it exceeds this many bytes.
    func beginUpload(maximumSize: Int64?) throws -> any BlobUpload
    /// Opens a stored blob for reading.
    /// - Throws: `.notFound` when it is absent.
    func open(_ digest: Digest) throws -> any BlobReader
    /// Makes the blob appear at `path` without copying where the store can
    /// (a hard link on the same filesystem), for inspecting or serving a version.
    func materialize(_ digest: Digest, at path: String) throws
    /// Every stored digest, for `warden fsck`.
    func allDigests() throws -> [Digest]
}

/// An upload in progress. Not thread-safe: one writer at a time.
public protocol BlobUpload: AnyObject, Sendable {
    /// Bytes received so far.
    var count: Int64 { get }
    /// Appends bytes and feeds them to the hash.
    /// - Throws: `.payloadTooLarge` once past the maximum size (the upload is aborted).
    func append(_ bytes: UnsafeRawBufferPointer) throws
    /// Checks the hash against `expected` (when given), makes the blob durable
    /// and visible under its digest, and returns the digest.
    /// - Throws: `.digestMismatch` naming both digests; nothing is stored.
    func commit(expected: Digest?) throws -> Digest
    /// Drops the temporary bytes. Safe to call more than once, and after `commit`.
    func abort()
}

/// A stored blob, read at offsets (for HTTP ranges). Thread-safe.
public protocol BlobReader: AnyObject, Sendable {
    var size: Int64 { get }
    /// Reads up to `buffer.count` bytes at `offset`; returns how many (0 at the end).
    func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    func close()
}
