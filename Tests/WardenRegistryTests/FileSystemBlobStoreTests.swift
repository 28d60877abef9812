import Foundation
import Testing
import WardenCore
import WardenRegistry

@Suite final class FileSystemBlobStoreTests: Sendable {
    let directory: TemporaryDirectory
    let store: FileSystemBlobStore

    init() throws {
        directory = try TemporaryDirectory("warden-blobs")
        store = try FileSystemBlobStore(root: directory.file("blobs"))
    }

    deinit {
        directory.remove()
    }

    static func bytes(_ count: Int, seed: UInt8 = 0) -> [UInt8] {
        BlobStoreHarness.bytes(count, seed: seed)
    }

    /// Uploads `bytes` in chunks of `chunk` and commits.
    @discardableResult
    static func put(_ store: FileSystemBlobStore, _ bytes: [UInt8], expected: Digest? = nil, chunk: Int = 4096) async throws -> Digest {
        try await BlobStoreHarness.put(store, bytes, expected: expected, chunk: chunk)
    }

    func readAll(_ digest: Digest) async throws -> [UInt8] {
        try await BlobStoreHarness.readAll(store, digest)
    }

    /// Every file under `sha256/`, however deep.
    func filesUnderBlobs() -> [String] {
        let root = directory.file("blobs/sha256")
        let walker = FileManager.default.enumerator(atPath: root)
        var files: [String] = []
        while let entry = walker?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + entry, isDirectory: &isDirectory), !isDirectory.boolValue {
                files.append(entry)
            }
        }
        return files
    }

    func attributes(_ path: String) throws -> [FileAttributeKey: Any] {
        try FileManager.default.attributesOfItem(atPath: path)
    }

    // MARK: Upload and read

    @Test func roundTrip() async throws {
        let data = Self.bytes(300_000)
        let digest = try await Self.put(store, data, chunk: 65_537)
        #expect(digest == Digest.sha256(data))
        #expect(try store.size(of: digest) == 300_000)
        #expect(try await readAll(digest) == data)
        #expect(try store.allDigests() == [digest])
        #expect(try store.verify(digest))
        #expect(store.temporaryUploads().isEmpty)

        let path = store.path(of: digest)
        #expect(path == directory.file("blobs/sha256/\(digest.hex.prefix(2))/\(digest.hex)"))
        #expect(try attributes(path)[.posixPermissions] as? Int == 0o444)
    }

    @Test func committingABlobThatExistsIsIdempotent() async throws {
        let data = Self.bytes(10_000)
        let first = try await Self.put(store, data)
        let inode = try attributes(store.path(of: first))[.systemFileNumber] as? Int
        let second = try await Self.put(store, data, chunk: 333)
        #expect(first == second)
        #expect(try store.allDigests() == [first])
        #expect(filesUnderBlobs().count == 1)
        #expect(store.temporaryUploads().isEmpty)
        // The stored file was left alone, not replaced.
        #expect(try attributes(store.path(of: first))[.systemFileNumber] as? Int == inode)
    }

    @Test func concurrentUploadsOfTheSameBytesStoreOneBlob() async throws {
        let data = Self.bytes(200_000, seed: 7)
        let store = self.store
        let digests = try await withThrowingTaskGroup(of: Digest.self) { group in
            for index in 0..<16 {
                group.addTask { try await Self.put(store, data, chunk: 1000 + index * 97) }
            }
            return try await group.reduce(into: [Digest]()) { $0.append($1) }
        }
        #expect(Set(digests) == [Digest.sha256(data)])
        #expect(try store.allDigests() == [Digest.sha256(data)])
        #expect(filesUnderBlobs().count == 1)
        #expect(store.temporaryUploads().isEmpty)
        #expect(try await readAll(Digest.sha256(data)) == data)
    }

    @Test func abortAndDroppingAnUploadLeaveNothing() async throws {
        let upload = try await store.beginUpload(maximumSize: nil)
        try await upload.append(contentsOf: Self.bytes(100))
        #expect(store.temporaryUploads().count == 1)
        await upload.abort()
        await upload.abort()
        #expect(store.temporaryUploads().isEmpty)

        do {
            let dropped = try await store.beginUpload(maximumSize: nil)
            try await dropped.append(contentsOf: Self.bytes(100))
            #expect(store.temporaryUploads().count == 1)
        }
        #expect(store.temporaryUploads().isEmpty)

        let committed = try await store.beginUpload(maximumSize: nil)
        let digest = try await committed.commit(expected: nil)
        await committed.abort()  // after commit: harmless
        #expect(try store.size(of: digest) == 0)
    }

    @Test func oneReaderServesManyThreadsAtOnce() async throws {
        let data = Self.bytes(1 << 20, seed: 3)
        let digest = try await Self.put(store, data)
        let reader = try store.open(digest)
        defer { reader.close() }
        let mismatches = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var bad = 0
                    for step in 0..<64 {
                        let offset = ((worker * 64 + step) * 4099) % (data.count - 4096)
                        let got = try await reader.read(at: Int64(offset), upTo: 4096)
                        if got.readableBytes != 4096 || Array(got.readableBytesView) != Array(data[offset..<offset + 4096]) { bad += 1 }
                    }
                    return bad
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }

    @Test func openingAMissingBlobSaysSo() async throws {
        let missing = sha("never uploaded")
        expectWardenError(.notFound, containing: [missing.description, "upload it first"]) { _ = try store.open(missing) }
        #expect(try store.size(of: missing) == nil)
        expectWardenError(.notFound, containing: missing.description) { _ = try store.verify(missing) }
    }

    // MARK: Materialize

    @Test func materializeMakesAHardLink() async throws {
        let data = Self.bytes(5000)
        let digest = try await Self.put(store, data)
        let target = directory.file("work/model/weights/part.bin")
        try store.materialize(digest, at: target)

        let blob = try attributes(store.path(of: digest))
        let linked = try attributes(target)
        #expect(linked[.systemFileNumber] as? Int == blob[.systemFileNumber] as? Int)
        #expect(linked[.referenceCount] as? Int == 2)
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data(data))

        // Again at the same place: already there, nothing to do.
        try store.materialize(digest, at: target)
    }

    /// A writable folder on another filesystem than the store's, where a hard link fails with
    /// EXDEV: /dev/shm (a tmpfs on Linux), else another tmpfs the system mounts. nil when
    /// there is none, and then the test below fails saying so rather than passing unchecked.
    static func otherFilesystem(than path: String) -> String? {
        // stat(2)'s st_dev: Foundation's file-system attributes do not tell tmpfs from the disk on Linux.
        func device(_ path: String) -> UInt64? {
            var info = stat()
            return stat(path, &info) == 0 ? UInt64(info.st_dev) : nil
        }
        guard let own = device(path) else { return nil }
        let candidates = ["/dev/shm", "/run/shm", "/run/user/\(getuid())", "/run/lock", "/run", "/tmp", "/var/tmp"]
        return candidates.first { candidate in
            FileManager.default.isWritableFile(atPath: candidate) && device(candidate).map { $0 != own } == true
        }
    }

    @Test func materializeCopiesAcrossFilesystems() async throws {
        let data = Self.bytes(70_000)
        let digest = try await Self.put(store, data)
        let other = try #require(
            Self.otherFilesystem(than: directory.path),
            "no writable folder on a second filesystem (tried /dev/shm, /run/shm, /run, /tmp, /var/tmp): mount a tmpfs at /dev/shm to run this test"
        )
        let folder = other + "/warden-test-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let target = folder + "/model/weights.bin"
        try store.materialize(digest, at: target)

        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data(data))
        #expect(try attributes(target)[.posixPermissions] as? Int == 0o444)
        #expect(try attributes(store.path(of: digest))[.referenceCount] as? Int == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/model") == ["weights.bin"])
    }

    // MARK: Maintenance

    @Test func aPartialUploadIsNotABlobAndStaleOnesAreCleared() async throws {
        // An upload in progress...
        let bytes = Self.bytes(1000)
        let live = try await store.beginUpload(maximumSize: nil)
        try await live.append(contentsOf: bytes[..<500])
        // ...and what a crash left an hour ago.
        let leftover = try directory.write("blobs/uploads/3b1f6c1e-crashed", Self.bytes(700))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: leftover)

        #expect(store.temporaryUploads().count == 2)
        #expect(store.temporaryUploads().contains(leftover))
        #expect(try store.allDigests().isEmpty)
        #expect(try store.size(of: Digest.sha256(bytes)) == nil)
        #expect(try store.size(of: Digest.sha256(Self.bytes(700))) == nil)

        #expect(store.removeStaleUploads(olderThan: 600) == 1)
        #expect(store.temporaryUploads().count == 1)
        #expect(!FileManager.default.fileExists(atPath: leftover))

        // The live upload was spared and finishes normally.
        try await live.append(contentsOf: bytes[500...])
        #expect(try await live.commit(expected: Digest.sha256(bytes)) == Digest.sha256(bytes))
        #expect(store.temporaryUploads().isEmpty)
        #expect(store.removeStaleUploads(olderThan: 0) == 0)
    }

    @Test func verifyNoticesABlobThatRotted() async throws {
        let data = Self.bytes(4096)
        let digest = try await Self.put(store, data)
        #expect(try store.verify(digest))
        let path = store.path(of: digest)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        var rotten = data
        rotten[100] ^= 0xFF
        try Data(rotten).write(to: URL(fileURLWithPath: path))
        #expect(try store.verify(digest) == false)
    }

    @Test func reopeningTheStoreKeepsTheBlobs() async throws {
        let digest = try await Self.put(store, Self.bytes(123))
        let again = try FileSystemBlobStore(root: directory.file("blobs"))
        #expect(try again.allDigests() == [digest])
        #expect(try again.verify(digest))
    }
}
