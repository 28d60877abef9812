import Foundation
import WardenCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few system calls the filesystem blob store needs, with `EINTR` retried
/// and failures turned into `WardenError`s that name the path.
enum POSIXFile {
    /// The text of `code` (`errno`), e.g. "No space left on device".
    static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    static func ioFailure(_ action: String, _ path: String, _ code: Int32, advice: String) -> WardenError {
        WardenError(.ioFailure, "cannot \(action) '\(path)': \(describe(code)); \(advice)")
    }

    /// Opens `path`, retrying on `EINTR`; returns the descriptor or -1 with `errno` set.
    static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Int32 {
        while true {
            #if canImport(Glibc)
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            #else
            let fd = Darwin.open(path, flags | O_CLOEXEC, mode)
            #endif
            if fd >= 0 || errno != EINTR { return fd }
        }
    }

    /// Closes `fd`, ignoring errors: every caller has either fsynced already or is discarding the file.
    static func close(_ fd: Int32) {
        #if canImport(Glibc)
        _ = Glibc.close(fd)
        #else
        _ = Darwin.close(fd)
        #endif
    }

    /// Writes all of `bytes` to `fd`; returns 0, or the `errno` of the failure.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        guard var next = bytes.baseAddress else { return 0 }
        var remaining = bytes.count
        while remaining > 0 {
            #if canImport(Glibc)
            let written = Glibc.write(fd, next, remaining)
            #else
            let written = Darwin.write(fd, next, remaining)
            #endif
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            next += written
            remaining -= written
        }
        return 0
    }

    /// Reads up to `buffer.count` bytes at `offset`; returns the count, or -1 with `errno` set.
    static func pread(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, at offset: Int64) -> Int {
        while true {
            #if canImport(Glibc)
            let got = Glibc.pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
            #else
            let got = Darwin.pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
            #endif
            if got >= 0 || errno != EINTR { return got }
        }
    }

    /// `stat(2)`; nil when nothing is at `path` (or it cannot be examined).
    static func status(_ path: String) -> stat? {
        var info = stat()
        return stat(path, &info) == 0 ? info : nil
    }

    /// Creates the directory `path`; returns true when it made it, false when it was already there.
    static func makeDirectory(_ path: String, mode: mode_t = 0o755) throws(WardenError) -> Bool {
        if mkdir(path, mode) == 0 { return true }
        let code = errno
        if code == EEXIST, let info = status(path), (info.st_mode & S_IFMT) == S_IFDIR { return false }
        throw ioFailure("create the folder", path, code, advice: "check that the blob folder is writable")
    }

    /// Creates `path` and any missing parents.
    static func makeDirectories(_ path: String) throws(WardenError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw WardenError(.ioFailure, "cannot create the folder '\(path)': \(error.localizedDescription); check that its parent is writable", cause: error)
        }
    }

    /// Flushes a directory, so that a file created or renamed in it survives a crash.
    static func syncDirectory(_ path: String) throws(WardenError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else {
            throw ioFailure("open the folder", path, errno, advice: "check that the blob folder is readable")
        }
        defer { close(fd) }
        // Some filesystems refuse fsync on a directory (EINVAL); they order renames anyway.
        if fsync(fd) != 0, case let code = errno, code != EINVAL {
            throw ioFailure("flush the folder", path, code, advice: "check the disk holding the blob folder")
        }
    }

    /// The names in a directory, or an empty list when it cannot be read.
    static func entries(of path: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    }
}
