import Foundation
import NIOCore
import Synchronization
import WardenCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A stored blob opened for reading at offsets with `pread(2)`.
///
/// `pread` keeps no file position, so any number of threads may read at once.
/// The only shared state is the descriptor's life: `close()` must not free a
/// descriptor that a read on another thread is still using (the number could
/// be reused for another file), so reads register themselves and the last one
/// out after `close()` closes it.
final class FileSystemBlobReader: BlobReader {
    private struct State {
        /// -1 once closed.
        var descriptor: Int32
        /// Reads between taking the descriptor and finishing with it.
        var activeReads = 0
        var closeRequested = false
    }

    let size: Int64
    private let path: String
    private let digest: Digest
    private let state: Mutex<State>

    /// - Throws: `.notFound` when there is no blob at `path`.
    init(path: String, digest: Digest) throws {
        let fd = POSIXFile.open(path, O_RDONLY)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw BlobStoreErrors.missing(digest) }
            throw POSIXFile.ioFailure("open blob \(digest) at", path, code, advice: "check the permissions of the blob folder")
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            POSIXFile.close(fd)
            throw POSIXFile.ioFailure("examine blob \(digest) at", path, code, advice: "check the blob folder")
        }
        self.size = Int64(info.st_size)
        self.path = path
        self.digest = digest
        self.state = Mutex(State(descriptor: fd))
    }

    deinit {
        // No read can be in progress: it would hold a reference.
        state.withLock { state in
            if state.descriptor >= 0 { POSIXFile.close(state.descriptor) }
        }
    }

    func read(at offset: Int64, upTo count: Int) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        let wanted = Int(max(0, min(Int64(max(count, 0)), size - offset)))
        guard wanted > 0 else {
            // Still checks the offset and the reader's state.
            _ = try read(at: offset, into: UnsafeMutableRawBufferPointer(start: nil, count: 0))
            return buffer
        }
        buffer.reserveCapacity(wanted)
        _ = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { pointer in
            try read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: pointer[0..<wanted]))
        }
        return buffer
    }

    func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard offset >= 0 else {
            throw BlobStoreErrors.negativeOffset(digest, offset)
        }
        if buffer.isEmpty || offset >= size { return 0 }
        let fd = try state.withLock { state throws(WardenError) -> Int32 in
            guard !state.closeRequested else {
                throw BlobStoreErrors.readAfterClose(digest)
            }
            state.activeReads += 1
            return state.descriptor
        }
        defer {
            state.withLock { state in
                state.activeReads -= 1
                if state.closeRequested, state.activeReads == 0, state.descriptor >= 0 {
                    POSIXFile.close(state.descriptor)
                    state.descriptor = -1
                }
            }
        }
        let got = POSIXFile.pread(fd, buffer, at: offset)
        guard got >= 0 else {
            throw POSIXFile.ioFailure("read blob \(digest) at", path, errno, advice: "run warden fsck to check the blob folder")
        }
        return got
    }

    /// Reads the whole file through SHA-256 and says whether it hashes to `digest`.
    func hashes(to digest: Digest) throws -> Bool {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var hasher = BlobHasher()
        var offset: Int64 = 0
        while true {
            let got = try read(at: offset, into: buffer)
            if got == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<got]))
            offset += Int64(got)
        }
        return hasher.finalize() == digest
    }

    func close() {
        state.withLock { state in
            guard !state.closeRequested else { return }
            state.closeRequested = true
            if state.activeReads == 0, state.descriptor >= 0 {
                POSIXFile.close(state.descriptor)
                state.descriptor = -1
            }
        }
    }
}
