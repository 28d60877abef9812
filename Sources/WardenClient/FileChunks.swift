import Foundation
import NIOCore
import WardenCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file as an async sequence of 1 MiB `ByteBuffer`s, read with `pread`:
/// an upload streams from disk and never holds the file in memory.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let path: String
    let chunkSize: Int
    /// Called with each chunk's size after it is read.
    let onChunk: @Sendable (Int) -> Void

    struct AsyncIterator: AsyncIteratorProtocol {
        let fd: Int32
        let chunkSize: Int
        let onChunk: @Sendable (Int) -> Void
        var offset: Int64 = 0
        var finished = false

        mutating func next() async throws -> ByteBuffer? {
            guard !finished else { return nil }
            var buffer = ByteBufferAllocator().buffer(capacity: chunkSize)
            let offset = self.offset
            let got = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: chunkSize) { pointer -> Int in
                let count = pread(fd, pointer.baseAddress, chunkSize, off_t(offset))
                guard count >= 0 else { throw WardenError(.unreadableFile, "reading failed: \(String(cString: strerror(errno)))") }
                return count
            }
            if got == 0 {
                finished = true
                close(fd)
                return nil
            }
            self.offset += Int64(got)
            onChunk(got)
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        // Opened here so each iteration reads from the start; closed at the end.
        AsyncIterator(fd: open(path, O_RDONLY | O_CLOEXEC), chunkSize: chunkSize, onChunk: onChunk)
    }
}
