import Foundation
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
            if code == ENOENT || code == ENOTDIR { throw FileSystemBlobStore.missing(digest) }
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

    func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard offset >= 0 else {
            throw WardenError(.invalidArgument, "cannot read blob \(digest) at offset \(offset); offsets start at 0")
        }
        if buffer.isEmpty || offset >= size { return 0 }
        let fd = try state.withLock { state throws(WardenError) -> Int32 in
            guard !state.closeRequested else {
                throw WardenError(.invalidArgument, "blob \(digest) was read after its reader was closed; open it again")
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
