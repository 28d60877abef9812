import Foundation
import Logging
import WardenCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Blobs as read-only files in a folder, named by their SHA-256.
///
/// ```
/// root/
///   sha256/ab/ab12…(64 hex)   mode 0444, one file per blob
///   uploads/<uuid>            uploads in progress, mode 0600
/// ```
///
/// An upload is written to `uploads/`, hashed as it arrives, fsynced and
/// renamed into `sha256/` only once its digest is known (and matches the one
/// claimed). A rename is atomic, so a reader sees a whole blob or none, even
/// after a crash; a crash leaves at most a stray file in `uploads/`, which
/// `removeStaleUploads(olderThan:)` clears.
///
/// ```swift
/// let store = try FileSystemBlobStore(root: "/var/lib/warden/blobs")
/// let upload = try store.beginUpload(maximumSize: 1 << 30)
/// try bytes.withUnsafeBytes { try upload.append($0) }
/// let digest = try upload.commit(expected: claimed)
/// ```
///
/// The store holds only paths, so it is a plain `Sendable` value: every
/// operation goes to the filesystem, which does the locking.
public final class FileSystemBlobStore: BlobStore {
    /// The folder given at creation.
    public let root: String
    /// `root/sha256`: the blobs, fanned out by their first two hex digits.
    let blobsDirectory: String
    /// `root/uploads`: uploads in progress.
    let uploadsDirectory: String
    let logger: Logger

    /// Opens the store at `root`, creating `root/sha256/` and `root/uploads/` when missing.
    /// - Throws: `.ioFailure` when the folders cannot be created.
    public init(root: String, logger: Logger = Logger(label: "warden.registry.blobs")) throws {
        self.root = root
        blobsDirectory = root + "/" + Digest.Algorithm.sha256.rawValue
        uploadsDirectory = root + "/uploads"
        self.logger = logger
        try POSIXFile.makeDirectories(blobsDirectory)
        try POSIXFile.makeDirectories(uploadsDirectory)
    }

    /// Where the blob named `digest` lives (whether or not it is there).
    public func path(of digest: Digest) -> String {
        let hex = digest.hex
        return "\(root)/\(digest.algorithm.rawValue)/\(hex.prefix(2))/\(hex)"
    }

    /// The fan-out folder that holds `digest`.
    func directory(of digest: Digest) -> String {
        "\(root)/\(digest.algorithm.rawValue)/\(digest.hex.prefix(2))"
    }

    // MARK: BlobStore

    public func size(of digest: Digest) throws -> Int64? {
        let path = path(of: digest)
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return nil }
            throw POSIXFile.ioFailure("examine the blob", path, code, advice: "check the permissions of the blob folder")
        }
        return Int64(info.st_size)
    }

    public func beginUpload(maximumSize: Int64?) throws -> any BlobUpload {
        if let maximumSize, maximumSize < 0 {
            throw BlobStoreErrors.negativeMaximum(maximumSize)
        }
        return try FileSystemBlobUpload(store: self, maximumSize: maximumSize)
    }

    public func open(_ digest: Digest) throws -> any BlobReader {
        try FileSystemBlobReader(path: path(of: digest), digest: digest)
    }

    public func allDigests() throws -> [Digest] {
        var digests: [Digest] = []
        for fanOut in POSIXFile.entries(of: blobsDirectory) where fanOut.utf8.count == 2 {
            for name in POSIXFile.entries(of: blobsDirectory + "/" + fanOut) where name.hasPrefix(fanOut) {
                // Anything that is not a 64-hex name (an editor's backup, a stray file) is not a blob.
                if let digest = try? Digest(algorithm: .sha256, hex: name) {
                    digests.append(digest)
                }
            }
        }
        return digests.sorted()
    }

    public func materialize(_ digest: Digest, at path: String) throws {
        let source = self.path(of: digest)
        guard let blob = POSIXFile.status(source) else {
            throw BlobStoreErrors.missing(digest)
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty { try POSIXFile.makeDirectories(parent) }

        if link(source, path) == 0 { return }
        let code = errno
        switch code {
        case EEXIST:
            try Self.checkAlreadyMaterialized(digest, blob: blob, at: path)
        case EXDEV, EPERM, EMLINK, ENOTSUP, EOPNOTSUPP:
            // Another filesystem, or one without hard links: copy instead.
            if POSIXFile.status(path) != nil { try Self.checkAlreadyMaterialized(digest, blob: blob, at: path) }
            try copy(digest, from: source, to: path)
        default:
            throw POSIXFile.ioFailure("link blob \(digest) to", path, code, advice: "check that the folder is writable")
        }
    }

    // MARK: Helpers

    /// Accepts an existing file at `path` only when it is the blob itself (the same inode).
    private static func checkAlreadyMaterialized(_ digest: Digest, blob: stat, at path: String) throws {
        if let existing = POSIXFile.status(path), existing.st_dev == blob.st_dev, existing.st_ino == blob.st_ino {
            return
        }
        throw BlobStoreErrors.occupied(path, digest)
    }

    /// Copies the blob to `path` through a temporary file beside it, so `path` never holds part of it.
    private func copy(_ digest: Digest, from source: String, to path: String) throws {
        let input = POSIXFile.open(source, O_RDONLY)
        guard input >= 0 else {
            throw POSIXFile.ioFailure("open blob \(digest) at", source, errno, advice: "run warden fsck")
        }
        defer { POSIXFile.close(input) }
        let output = try TemporaryFile(beside: path)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        while true {
            let got = POSIXFile.pread(input, buffer, at: offset)
            if got < 0 {
                throw POSIXFile.ioFailure("read blob \(digest) at", source, errno, advice: "run warden fsck")
            }
            if got == 0 { break }
            try output.write(UnsafeRawBufferPointer(rebasing: buffer[0..<got]))
            offset += Int64(got)
        }
        try output.publish("the copy of blob \(digest)")
    }
}
