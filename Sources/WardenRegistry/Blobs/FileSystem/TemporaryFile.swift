import Foundation
import WardenCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file written beside its final path and renamed onto it only once whole, so the
/// path never holds part of a blob: how both stores materialize by copying (the
/// filesystem store across filesystems, the S3 store from a download).
/// Dropped without `publish`, it removes itself.
final class TemporaryFile {
    let path: String
    let target: String
    private var descriptor: Int32
    private var published = false

    /// Creates `TARGET.warden-<uuid>`, mode 0600, never reusing an existing file.
    init(beside target: String) throws(WardenError) {
        let path = target + ".warden-\(UUID().uuidString)"
        let descriptor = POSIXFile.open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw POSIXFile.ioFailure("create", path, errno, advice: "check that the folder is writable")
        }
        self.path = path
        self.target = target
        self.descriptor = descriptor
    }

    deinit {
        if descriptor >= 0 { POSIXFile.close(descriptor) }
        if !published { unlink(path) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(WardenError) {
        let failure = POSIXFile.writeAll(descriptor, bytes)
        if failure != 0 {
            throw POSIXFile.ioFailure("write", path, failure, advice: "check the free space where the model is materialized")
        }
    }

    /// Makes the file read-only and renames it onto the target.
    /// - Parameter what: what the file holds, for the error, e.g. "the copy of blob sha256:…".
    func publish(_ what: String) throws(WardenError) {
        fchmod(descriptor, 0o444)
        POSIXFile.close(descriptor)
        descriptor = -1
        guard rename(path, target) == 0 else {
            throw POSIXFile.ioFailure("move \(what) to", target, errno, advice: "check that the folder is writable")
        }
        published = true
    }
}
