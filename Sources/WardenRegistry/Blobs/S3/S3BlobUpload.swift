import Foundation
import NIOCore
import Synchronization
import WardenCore

/// An upload into an `S3BlobStore`: bytes hashed as they arrive and buffered
/// one part at a time. Under one part they are PUT under their digest on
/// `commit`; past one part they go as a multipart upload to a temporary key,
/// completed and copied under the digest only after the digest matched.
///
/// One writer at a time, as `BlobUpload` says. The state sits behind a `Mutex`
/// (never held across a request), so a misuse from two tasks cannot tear it.
final class S3BlobUpload: BlobUpload {
    private enum Phase {
        case open
        /// `commit` is sending the last bytes; nothing more may be appended.
        case committing
        case committed(Digest)
        case discarded
    }

    /// The multipart upload, once the first full part was sent.
    private struct Multipart {
        var id: String
        var etags: [String] = []
    }

    private struct State {
        var hasher = BlobHasher()
        var count: Int64 = 0
        /// The part being filled.
        var buffer: ByteBuffer
        var multipart: Multipart?
        var phase = Phase.open
    }

    private let store: S3BlobStore
    private let maximumSize: Int64?
    /// `uploads/<uuid>`: where the multipart upload goes.
    let temporaryKey: String
    private let state: Mutex<State>

    init(store: S3BlobStore, maximumSize: Int64?) {
        self.store = store
        self.maximumSize = maximumSize
        self.temporaryKey = store.temporaryKey()
        self.state = Mutex(State(buffer: ByteBufferAllocator().buffer(capacity: 0)))
    }

    deinit {
        // Dropped without commit or abort (the client went away): S3 keeps the parts of an
        // unfinished multipart upload until aborted, so abort it in the background.
        let leftover = state.withLock { state -> Multipart? in
            guard case .open = state.phase else { return nil }
            return state.multipart
        }
        if let leftover {
            let client = store.client
            let key = temporaryKey
            Task { try? await client.abortMultipartUpload(key, uploadID: leftover.id) }
        }
    }

    var count: Int64 { state.withLock { $0.count } }

    func append(_ chunk: ByteBuffer) async throws {
        let partSize = store.partSize
        let part = try state.withLock { state throws(WardenError) -> ByteBuffer? in
            try Self.checkOpen(state)
            if let maximumSize, state.count + Int64(chunk.readableBytes) > maximumSize {
                state.phase = .discarded
                return nil
            }
            chunk.withUnsafeReadableBytes { state.hasher.update($0) }
            state.count += Int64(chunk.readableBytes)
            if state.buffer.capacity == 0 { state.buffer.reserveCapacity(partSize + chunk.readableBytes) }
            state.buffer.writeImmutableBuffer(chunk)
            guard state.buffer.readableBytes >= partSize else { return ByteBuffer() }
            // A full part leaves; the rest starts the next one in a buffer of its own, so the
            // part's memory goes as soon as it is sent.
            let part = state.buffer.readSlice(length: partSize)!
            var rest = ByteBufferAllocator().buffer(capacity: partSize + chunk.readableBytes)
            rest.writeImmutableBuffer(state.buffer)
            state.buffer = rest
            return part
        }
        guard let part else {
            await discardRemotely()
            throw BlobStoreErrors.tooLarge(maximumSize ?? 0)
        }
        guard part.readableBytes > 0 else { return }
        do {
            try await send(part)
        } catch {
            state.withLock { $0.phase = .discarded }
            await discardRemotely()
            throw error
        }
    }

    func commit(expected: Digest?) async throws -> Digest {
        let prepared = try state.withLock { state throws(WardenError) -> Result<(Digest, ByteBuffer, Multipart?), WardenError> in
            try Self.checkOpen(state)
            let digest = state.hasher.finalize()
            if let expected, expected != digest {
                state.phase = .discarded
                return .failure(BlobStoreErrors.mismatch(digest, expected: expected))
            }
            state.phase = .committing
            return .success((digest, state.buffer, state.multipart))
        }
        let (digest, rest, multipart): (Digest, ByteBuffer, Multipart?)
        switch prepared {
        case .success(let values):
            (digest, rest, multipart) = values
        case .failure(let mismatch):
            // The parts sent so far go before the caller hears of it.
            await discardRemotely()
            throw mismatch
        }
        do {
            if multipart == nil {
                try await store.client.putObject(store.key(of: digest), body: rest)
            } else {
                try await finishMultipart(rest, as: digest)
            }
        } catch {
            state.withLock { $0.phase = .discarded }
            await discardRemotely()
            throw error
        }
        state.withLock {
            $0.phase = .committed(digest)
            $0.buffer = ByteBuffer()
        }
        return digest
    }

    func abort() async {
        let wasOpen = state.withLock { state -> Bool in
            guard case .open = state.phase else { return false }
            state.phase = .discarded
            return true
        }
        if wasOpen { await discardRemotely() }
    }

    // MARK: Steps

    /// Sends one full part, starting the multipart upload with the first.
    private func send(_ part: ByteBuffer) async throws {
        let client = store.client
        var multipart = state.withLock { $0.multipart }
        if multipart == nil {
            let id = try await client.createMultipartUpload(temporaryKey)
            multipart = Multipart(id: id)
            state.withLock { $0.multipart = multipart }
        }
        guard let id = multipart?.id else { return }
        let number = (multipart?.etags.count ?? 0) + 1
        let etag = try await client.uploadPart(temporaryKey, uploadID: id, number: number, body: part)
        state.withLock { $0.multipart?.etags.append(etag) }
    }

    /// Sends the last part, completes the upload at the temporary key, copies it under the
    /// digest (unless that blob is stored already) and deletes the temporary object.
    private func finishMultipart(_ last: ByteBuffer, as digest: Digest) async throws {
        let client = store.client
        if last.readableBytes > 0 { try await send(last) }
        guard let multipart = state.withLock({ $0.multipart }) else { return }
        try await client.completeMultipartUpload(temporaryKey, uploadID: multipart.id, parts: multipart.etags)
        state.withLock { $0.multipart = nil }
        let target = store.key(of: digest)
        do {
            // Content addressing: a stored object under this name has these very bytes.
            if try await client.headObject(target) == nil {
                try await client.copyObject(from: temporaryKey, to: target)
            }
        } catch {
            await deleteTemporaryObject()
            throw error
        }
        await deleteTemporaryObject()
    }

    /// Deletes the completed temporary object; a failure leaves an invisible stray under
    /// `uploads/`, logged, not a failed push.
    private func deleteTemporaryObject() async {
        do {
            try await store.client.deleteObject(temporaryKey)
        } catch {
            store.logger.warning("cannot delete a temporary upload object", metadata: ["key": "\(temporaryKey)", "error": "\(error)"])
        }
    }

    /// Aborts the multipart upload, if one was started; failures are logged, not thrown:
    /// the parts of an abandoned upload are invisible and a bucket lifecycle rule expires them.
    private func discardRemotely() async {
        let multipart = state.withLock { state -> Multipart? in
            defer {
                state.multipart = nil
                state.buffer = ByteBuffer()
            }
            return state.multipart
        }
        guard let multipart else { return }
        do {
            try await store.client.abortMultipartUpload(temporaryKey, uploadID: multipart.id)
        } catch {
            store.logger.warning("cannot abort a multipart upload", metadata: ["key": "\(temporaryKey)", "error": "\(error)"])
        }
    }

    private static func checkOpen(_ state: State) throws(WardenError) {
        switch state.phase {
        case .open:
            return
        case .committing:
            throw WardenError(.invalidArgument, "this upload is being committed; start a new upload to send more bytes")
        case .committed(let digest):
            throw BlobStoreErrors.alreadyCommitted(digest)
        case .discarded:
            throw BlobStoreErrors.aborted
        }
    }
}
