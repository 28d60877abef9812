import Foundation
import NIOCore
import Synchronization
import WardenCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An upload into a `FileSystemBlobStore`: a private file in `uploads/`,
/// hashed as bytes arrive and renamed under its digest on `commit`.
///
/// One writer at a time, as `BlobUpload` says; the state sits behind a
/// `Mutex` anyway, so the class is honestly `Sendable` and a misuse from two
/// threads cannot tear the hash.
final class FileSystemBlobUpload: BlobUpload {
    private enum Phase {
        case open
        case committed(Digest)
        case discarded
    }

    private struct State {
        var descriptor: Int32
        var hasher = BlobHasher()
        var count: Int64 = 0
        var phase = Phase.open
    }

    /// The temporary file, `uploads/<uuid>`.
    let temporaryPath: String
    private let store: FileSystemBlobStore
    private let maximumSize: Int64?
    private let state: Mutex<State>

    init(store: FileSystemBlobStore, maximumSize: Int64?) throws {
        let path = store.uploadsDirectory + "/" + UUID().uuidString.lowercased()
        // O_EXCL: never write into a file someone else created, even on a UUID collision.
        let fd = POSIXFile.open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            throw POSIXFile.ioFailure("create the upload file", path, errno, advice: "check that the blob folder is writable")
        }
        self.temporaryPath = path
        self.store = store
        self.maximumSize = maximumSize
        self.state = Mutex(State(descriptor: fd))
    }

    deinit {
        // Dropped without commit or abort (the client went away): leave nothing behind.
        state.withLock { Self.discard(&$0, path: temporaryPath) }
    }

    var count: Int64 { state.withLock { $0.count } }

    func append(_ chunk: ByteBuffer) throws {
        try chunk.withUnsafeReadableBytes { try append($0) }
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        try state.withLock { state throws(WardenError) in
            try Self.checkOpen(state, path: temporaryPath)
            if let maximumSize, state.count + Int64(bytes.count) > maximumSize {
                Self.discard(&state, path: temporaryPath)
                throw BlobStoreErrors.tooLarge(maximumSize)
            }
            let failure = POSIXFile.writeAll(state.descriptor, bytes)
            guard failure == 0 else {
                Self.discard(&state, path: temporaryPath)
                throw POSIXFile.ioFailure(
                    "write the upload to", temporaryPath, failure,
                    advice: "the upload was discarded; free space in the blob folder and send it again"
                )
            }
            state.hasher.update(bytes)
            state.count += Int64(bytes.count)
        }
    }

    func commit(expected: Digest?) throws -> Digest {
        try state.withLock { state throws(WardenError) -> Digest in
            try Self.checkOpen(state, path: temporaryPath)
            let digest = state.hasher.finalize()
            if let expected, expected != digest {
                Self.discard(&state, path: temporaryPath)
                throw BlobStoreErrors.mismatch(digest, expected: expected)
            }
            do throws(WardenError) {
                try publish(&state, as: digest)
            } catch {
                Self.discard(&state, path: temporaryPath)
                throw error
            }
            state.phase = .committed(digest)
            return digest
        }
    }

    func abort() {
        state.withLock { Self.discard(&$0, path: temporaryPath) }
    }

    // MARK: Steps

    /// Makes the finished file durable and visible as blob `digest`.
    private func publish(_ state: inout State, as digest: Digest) throws(WardenError) {
        // The bytes reach the disk before the name does: after a crash, a name always has its bytes.
        guard fsync(state.descriptor) == 0 else {
            throw POSIXFile.ioFailure("flush the upload", temporaryPath, errno, advice: "check the disk holding the blob folder")
        }
        fchmod(state.descriptor, 0o444)
        POSIXFile.close(state.descriptor)
        state.descriptor = -1

        let target = store.path(of: digest)
        if POSIXFile.status(target) != nil {
            // Content addressing: the stored blob has these very bytes.
            unlink(temporaryPath)
            return
        }
        let fanOut = store.directory(of: digest)
        if try POSIXFile.makeDirectory(fanOut) {
            try POSIXFile.syncDirectory(store.blobsDirectory)
        }
        // Two uploads of the same bytes may both get here; either rename leaves the same bytes in place.
        guard rename(temporaryPath, target) == 0 else {
            throw POSIXFile.ioFailure("move the upload to", target, errno, advice: "check that the blob folder is writable")
        }
        try POSIXFile.syncDirectory(fanOut)
    }

    private static func checkOpen(_ state: State, path: String) throws(WardenError) {
        switch state.phase {
        case .open:
            return
        case .committed(let digest):
            throw BlobStoreErrors.alreadyCommitted(digest)
        case .discarded:
            throw BlobStoreErrors.aborted
        }
    }

    /// Closes and deletes the temporary file, once.
    private static func discard(_ state: inout State, path: String) {
        guard case .open = state.phase else { return }
        if state.descriptor >= 0 {
            POSIXFile.close(state.descriptor)
            state.descriptor = -1
        }
        unlink(path)
        state.phase = .discarded
    }
}
