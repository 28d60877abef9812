import Foundation
import WardenCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An advisory lock on a data folder (`flock` on `DATA/warden.lock`), so two
/// servers never open the same database and blobs. The lock goes with the
/// process: a crash or SIGKILL releases it, and the next server takes it.
/// The file holds the holder's PID, for the messages of the ones refused.
public final class DataDirectoryLock: Sendable {
    /// The open lock file; closing it releases the lock. Set once in `init`.
    private let descriptor: Int32
    public let path: String

    init(path: String, folder: String) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw WardenError(.ioFailure, "cannot open the lock file '\(path)': \(String(cString: strerror(errno))); check that the data folder is writable")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK {
                let holder = Self.holder(of: path).map { "pid \($0)" } ?? "another process"
                throw WardenError(
                    .conflict,
                    "the data folder '\(folder)' is in use by another warden serve (\(holder)); stop it first, or pass another --data"
                )
            }
            throw WardenError(.ioFailure, "cannot lock '\(path)': \(String(cString: strerror(code)))")
        }
        let line = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = line.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        descriptor = fd
        self.path = path
    }

    deinit {
        // Empty the file before the lock goes, so a stale PID is never shown.
        _ = ftruncate(descriptor, 0)
        close(descriptor)
    }

    /// The PID written in a lock file that some process holds, or nil when the
    /// file is absent or nobody holds it.
    static func holder(of path: String) -> Int32? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        // A shared lock succeeds only when no server holds the exclusive one.
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return nil
        }
        var bytes = [UInt8](repeating: 0, count: 32)
        let count = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return -1 }
        return Int32(String(decoding: bytes.prefix(count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }
}
