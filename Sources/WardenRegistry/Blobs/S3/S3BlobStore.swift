import Foundation
import Logging
import NIOCore
import WardenCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Blobs as objects in an S3-compatible bucket, named by their SHA-256.
///
/// ```
/// BUCKET/PREFIX/blobs/sha256/<64 hex>   one object per blob
/// BUCKET/PREFIX/uploads/<uuid>          multipart uploads in progress (invisible until completed)
/// ```
///
/// A blob smaller than one part is buffered, hashed, and PUT under its digest
/// only once the digest matched. A larger one streams as a multipart upload to
/// `uploads/<uuid>`, one part in memory at a time; on `commit` the digest is
/// checked, the upload completed and copied under its digest on the server,
/// and the temporary object deleted. A mismatch or an abort aborts the
/// multipart upload: nothing is ever visible under a digest the bytes do not
/// hash to.
///
/// ```swift
/// let store = try S3BlobStore(configuration: .fromEnvironment(), bucket: "models", prefix: "warden")
/// try await store.checkBucket()
/// let upload = try await store.beginUpload(maximumSize: 1 << 30)
/// try await upload.append(chunk)
/// let digest = try await upload.commit(expected: claimed)
/// ```
public final class S3BlobStore: BlobStore {
    /// S3's smallest part (every part but the last).
    public static let minimumPartSize = 5 << 20
    /// 8 MiB: the part buffered per upload, so 100 concurrent pushes hold under 1 GiB.
    public static let defaultPartSize = 8 << 20

    public let bucket: String
    /// Without leading or trailing slashes; empty for the bucket's root.
    public let prefix: String
    let client: S3Client
    let partSize: Int
    /// Keys per ListObjectsV2 page: S3's maximum, 1,000, except in tests of the paging.
    let listPageSize: Int
    let logger: Logger

    /// - Parameters:
    ///   - prefix: the folder inside the bucket, e.g. `warden/prod`; slashes around it are ignored.
    ///   - partSize: bytes per multipart part (at least 5 MiB); blobs smaller than this are one PUT.
    /// - Throws: `.invalidArgument` for a bucket name S3 would refuse or a part size under 5 MiB.
    public convenience init(
        configuration: S3Configuration, bucket: String, prefix: String = "",
        partSize: Int = S3BlobStore.defaultPartSize, logger: Logger = Logger(label: "warden.registry.blobs.s3")
    ) throws {
        try self.init(configuration: configuration, bucket: bucket, prefix: prefix, partSize: partSize, listPageSize: 1000, logger: logger)
    }

    init(configuration: S3Configuration, bucket: String, prefix: String, partSize: Int, listPageSize: Int, logger: Logger) throws {
        try Self.checkBucketName(bucket)
        guard partSize >= Self.minimumPartSize else {
            throw WardenError(.invalidArgument, "the S3 part size must be at least 5 MiB (\(Self.minimumPartSize) bytes), S3's minimum, but is \(partSize)")
        }
        self.bucket = bucket
        self.prefix = prefix.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
        self.client = S3Client(configuration: configuration, bucket: bucket)
        self.partSize = partSize
        self.listPageSize = listPageSize
        self.logger = logger
    }

    /// Checks that the bucket exists and the credentials reach it: call it at start-up, so a
    /// wrong bucket or key stops the server with one clear line instead of failing the first push.
    /// - Throws: `.notFound` naming the bucket and endpoint; `.ioFailure` for refused credentials or an unreachable server.
    public func checkBucket() async throws {
        try await client.headBucket()
    }

    /// Creates the bucket (tests, first set-up); one that exists already is fine.
    public func createBucket() async throws {
        try await client.createBucket()
    }

    /// The object key of `digest` (whether or not it is there).
    public func key(of digest: Digest) -> String {
        blobsPrefix + digest.hex
    }

    /// `PREFIX/blobs/sha256/`, under which every blob lives.
    var blobsPrefix: String {
        folder("blobs/\(Digest.Algorithm.sha256.rawValue)/")
    }

    /// A fresh key for an upload in progress.
    func temporaryKey() -> String {
        folder("uploads/\(UUID().uuidString.lowercased())")
    }

    private func folder(_ path: String) -> String {
        prefix.isEmpty ? path : prefix + "/" + path
    }

    // MARK: BlobStore

    public func size(of digest: Digest) async throws -> Int64? {
        try await client.headObject(key(of: digest))
    }

    public func beginUpload(maximumSize: Int64?) async throws -> any BlobUpload {
        if let maximumSize, maximumSize < 0 { throw BlobStoreErrors.negativeMaximum(maximumSize) }
        return S3BlobUpload(store: self, maximumSize: maximumSize)
    }

    public func open(_ digest: Digest) async throws -> any BlobReader {
        let key = key(of: digest)
        guard let size = try await client.headObject(key) else { throw BlobStoreErrors.missing(digest) }
        return S3BlobReader(client: client, key: key, digest: digest, size: size)
    }

    public func allDigests() async throws -> [Digest] {
        let prefix = blobsPrefix
        var digests: [Digest] = []
        var continuation: String?
        repeat {
            let page = try await client.listObjects(prefix: prefix, continuation: continuation, pageSize: listPageSize)
            for object in page.objects {
                // Anything that is not a 64-hex name under the prefix is not a blob.
                if let digest = try? Digest(algorithm: .sha256, hex: String(object.key.dropFirst(prefix.count))) {
                    digests.append(digest)
                }
            }
            continuation = page.next
        } while continuation != nil
        return digests.sorted()
    }

    @discardableResult
    public func remove(_ digest: Digest) async throws -> Int64 {
        let key = key(of: digest)
        guard let size = try await client.headObject(key) else { return 0 }
        try await client.deleteObject(key)
        return size
    }

    /// Downloads the blob to `path` through a temporary file beside it, checking its digest on
    /// the way: `path` never holds part of a blob, nor bytes that do not hash to its name.
    public func materialize(_ digest: Digest, at path: String) async throws {
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty { try POSIXFile.makeDirectories(parent) }
        if POSIXFile.status(path) != nil {
            guard try Self.fileHashes(path, to: digest) else { throw BlobStoreErrors.occupied(path, digest) }
            return
        }
        let output = try TemporaryFile(beside: path)
        var hasher = BlobHasher()
        let found = try await client.streamObject(key(of: digest)) { chunk in
            try chunk.withUnsafeReadableBytes { bytes in
                hasher.update(bytes)
                try output.write(bytes)
            }
        }
        guard found else { throw BlobStoreErrors.missing(digest) }
        let got = hasher.finalize()
        guard got == digest else {
            throw WardenError(
                .digestMismatch,
                "blob \(digest) downloaded from bucket '\(bucket)' hashes to \(got): the object was changed in the bucket; remove it and push the model again"
            )
        }
        try output.publish("the download of blob \(digest)")
    }

    // MARK: Helpers

    /// Whether the file at `path` hashes to `digest`.
    private static func fileHashes(_ path: String, to digest: Digest) throws -> Bool {
        let reader = try FileSystemBlobReader(path: path, digest: digest)
        defer { reader.close() }
        return try reader.hashes(to: digest)
    }

    /// S3's bucket naming rules, checked here so a typo gets a clear line instead of a signature error.
    static func checkBucketName(_ name: String) throws {
        let allowed = name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
        }
        let edges = name.first.map { $0.isLetter || $0.isNumber } == true && name.last.map { $0.isLetter || $0.isNumber } == true
        guard (3...63).contains(name.utf8.count), allowed, edges, !name.contains("..") else {
            throw WardenError(
                .invalidArgument,
                "'\(name)' is not an S3 bucket name: use 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit"
            )
        }
    }
}
