import Foundation
import WardenCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `warden fsck` and server start-up use: leftovers of interrupted
/// uploads, and re-hashing a stored blob.
extension FileSystemBlobStore {
    /// The paths of every file in `uploads/`: uploads in progress, and those a crash interrupted.
    public func temporaryUploads() -> [String] {
        POSIXFile.entries(of: uploadsDirectory).sorted().map { uploadsDirectory + "/" + $0 }
    }

    /// Deletes files in `uploads/` not written to for `age` seconds.
    ///
    /// An upload in progress touches its file with every write, so a generous
    /// `age` (an hour) removes only what crashed or stalled uploads left.
    /// - Returns: how many files it removed.
    @discardableResult
    public func removeStaleUploads(olderThan age: TimeInterval) -> Int {
        let cutoff = Date().timeIntervalSince1970 - age
        var removed = 0
        for path in temporaryUploads() {
            guard let info = POSIXFile.status(path) else { continue }
            #if canImport(Darwin)
            let modified = Double(info.st_mtimespec.tv_sec) + Double(info.st_mtimespec.tv_nsec) / 1e9
            #else
            let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
            #endif
            guard modified <= cutoff else { continue }
            if unlink(path) == 0 {
                removed += 1
            } else {
                let code = errno
                logger.warning("cannot remove stale upload", metadata: ["path": "\(path)", "error": "\(POSIXFile.describe(code))"])
            }
        }
        if removed > 0 {
            logger.info("removed stale uploads", metadata: ["count": "\(removed)"])
        }
        return removed
    }

    /// Re-hashes the stored blob and says whether its bytes still hash to its name.
    /// - Throws: `.notFound` when the blob is absent; `.ioFailure` when it cannot be read.
    public func verify(_ digest: Digest) throws -> Bool {
        let reader = try FileSystemBlobReader(path: path(of: digest), digest: digest)
        defer { reader.close() }
        return try reader.hashes(to: digest)
    }
}

extension FileSystemBlobStore {
    /// Deletes a stored blob, for `warden gc` once no version references it.
    /// - Returns: the bytes freed (0 when the blob was not there).
    /// - Throws: `.ioFailure` when the file cannot be removed.
    @discardableResult
    public func remove(_ digest: Digest) throws -> Int64 {
        let path = path(of: digest)
        guard let info = POSIXFile.status(path) else { return 0 }
        guard unlink(path) == 0 || errno == ENOENT else {
            throw POSIXFile.ioFailure("remove the blob", path, errno, advice: "check the permissions of the blob folder")
        }
        return Int64(info.st_size)
    }
}
