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

    /// Some bytes that are not all alike, so an offset error shows.
    static func bytes(_ count: Int, seed: UInt8 = 0) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
    }

    /// Uploads `bytes` in chunks of `chunk` and commits.
    @discardableResult
    static func put(_ store: FileSystemBlobStore, _ bytes: [UInt8], expected: Digest? = nil, chunk: Int = 4096) throws -> Digest {
        let upload = try store.beginUpload(maximumSize: nil)
        var start = 0
        while start < bytes.count {
            let end = min(start + chunk, bytes.count)
            try bytes[start..<end].withUnsafeBytes { try upload.append($0) }
            start = end
        }
        return try upload.commit(expected: expected ?? Digest.sha256(bytes))
    }

    func readAll(_ digest: Digest) throws -> [UInt8] {
        let reader = try store.open(digest)
        defer { reader.close() }
        var result = [UInt8](repeating: 0, count: Int(reader.size))
        var offset = 0
        while offset < result.count {
            let got = try result.withUnsafeMutableBytes { buffer in
                try reader.read(at: Int64(offset), into: UnsafeMutableRawBufferPointer(rebasing: buffer[offset...]))
            }
            #expect(got > 0)
            offset += got
        }
        return result
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

    @Test func roundTrip() throws {
        let data = Self.bytes(300_000)
        let digest = try Self.put(store, data, chunk: 65_537)
        #expect(digest == Digest.sha256(data))
        #expect(try store.size(of: digest) == 300_000)
        #expect(try readAll(digest) == data)
        #expect(try store.allDigests() == [digest])
        #expect(try store.verify(digest))
        #expect(store.temporaryUploads().isEmpty)

        let path = store.path(of: digest)
        #expect(path == directory.file("blobs/sha256/\(digest.hex.prefix(2))/\(digest.hex)"))
        #expect(try attributes(path)[.posixPermissions] as? Int == 0o444)
    }

    @Test func commitWithoutAnExpectedDigestNamesTheBlobByItsBytes() throws {
        let upload = try store.beginUpload(maximumSize: nil)
        try Array("hello".utf8).withUnsafeBytes { try upload.append($0) }
        #expect(upload.count == 5)
        #expect(try upload.commit(expected: nil) == sha("hello"))
        #expect(try store.size(of: sha("hello")) == 5)
    }

    @Test func anEmptyBlobIsABlob() throws {
        let digest = try Self.put(store, [])
        #expect(digest.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(try store.size(of: digest) == 0)
        #expect(try readAll(digest) == [])
    }

    @Test func aMismatchedDigestIsRejectedAndNothingIsStored() throws {
        let upload = try store.beginUpload(maximumSize: nil)
        try Array("the real bytes".utf8).withUnsafeBytes { try upload.append($0) }
        let claimed = sha("other bytes")
        expectWardenError(.digestMismatch, containing: [sha("the real bytes").description, claimed.description, "nothing was stored"]) {
            _ = try upload.commit(expected: claimed)
        }
        #expect(filesUnderBlobs().isEmpty)
        #expect(try store.allDigests().isEmpty)
        #expect(store.temporaryUploads().isEmpty)
        #expect(try store.size(of: sha("the real bytes")) == nil)
        #expect(try store.size(of: claimed) == nil)
        // The upload is over; it says so rather than storing anything later.
        expectWardenError(.invalidArgument, containing: "start a new upload") { _ = try upload.commit(expected: nil) }
    }

    @Test func anUploadPastTheLimitIsAbortedAndSaysHowToRaiseIt() throws {
        let upload = try store.beginUpload(maximumSize: 10)
        try Self.bytes(8).withUnsafeBytes { try upload.append($0) }
        expectWardenError(.payloadTooLarge, containing: ["limit of 10 bytes", "--max-blob-size", "discarded"]) {
            try Self.bytes(3).withUnsafeBytes { try upload.append($0) }
        }
        #expect(store.temporaryUploads().isEmpty)
        #expect(filesUnderBlobs().isEmpty)
        expectWardenError(.invalidArgument, containing: "aborted") { _ = try upload.commit(expected: nil) }

        // Exactly the limit is allowed.
        let exact = try store.beginUpload(maximumSize: 10)
        try Self.bytes(10).withUnsafeBytes { try exact.append($0) }
        #expect(try exact.commit(expected: nil) == Digest.sha256(Self.bytes(10)))
    }

    @Test func theLimitIsReportedInReadableUnits() throws {
        let upload = try store.beginUpload(maximumSize: 3 << 20)
        let chunk = Self.bytes(1 << 20)
        try chunk.withUnsafeBytes { buffer in
            for _ in 0..<3 { try upload.append(buffer) }
        }
        expectWardenError(.payloadTooLarge, containing: ["3145728 bytes (3.0 MiB)"]) {
            try [UInt8(1)].withUnsafeBytes { try upload.append($0) }
        }
    }

    @Test func committingABlobThatExistsIsIdempotent() throws {
        let data = Self.bytes(10_000)
        let first = try Self.put(store, data)
        let inode = try attributes(store.path(of: first))[.systemFileNumber] as? Int
        let second = try Self.put(store, data, chunk: 333)
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
                group.addTask { try Self.put(store, data, chunk: 1000 + index * 97) }
            }
            return try await group.reduce(into: [Digest]()) { $0.append($1) }
        }
        #expect(Set(digests) == [Digest.sha256(data)])
        #expect(try store.allDigests() == [Digest.sha256(data)])
        #expect(filesUnderBlobs().count == 1)
        #expect(store.temporaryUploads().isEmpty)
        #expect(try readAll(Digest.sha256(data)) == data)
    }

    @Test func abortAndDroppingAnUploadLeaveNothing() throws {
        let upload = try store.beginUpload(maximumSize: nil)
        try Self.bytes(100).withUnsafeBytes { try upload.append($0) }
        #expect(store.temporaryUploads().count == 1)
        upload.abort()
        upload.abort()
        #expect(store.temporaryUploads().isEmpty)

        do {
            let dropped = try store.beginUpload(maximumSize: nil)
            try Self.bytes(100).withUnsafeBytes { try dropped.append($0) }
            #expect(store.temporaryUploads().count == 1)
        }
        #expect(store.temporaryUploads().isEmpty)

        let committed = try store.beginUpload(maximumSize: nil)
        let digest = try committed.commit(expected: nil)
        committed.abort()  // after commit: harmless
        #expect(try store.size(of: digest) == 0)
    }

    @Test func aNegativeLimitIsRefused() {
        expectWardenError(.invalidArgument, containing: "must not be negative") { _ = try store.beginUpload(maximumSize: -1) }
    }

    // MARK: Readers

    @Test func readerReadsRanges() throws {
        let data = Self.bytes(100_000)
        let digest = try Self.put(store, data)
        let reader = try store.open(digest)
        defer { reader.close() }
        #expect(reader.size == 100_000)

        func read(_ offset: Int64, _ count: Int) throws -> [UInt8] {
            var buffer = [UInt8](repeating: 0, count: count)
            let got = try buffer.withUnsafeMutableBytes { try reader.read(at: offset, into: $0) }
            return Array(buffer[..<got])
        }
        #expect(try read(0, 10) == Array(data[0..<10]))
        #expect(try read(50_000, 1234) == Array(data[50_000..<51_234]))
        #expect(try read(99_990, 100) == Array(data[99_990...]))  // short at the end
        #expect(try read(100_000, 10) == [])
        #expect(try read(1 << 40, 10) == [])
        #expect(try read(5, 0) == [])
        expectWardenError(.invalidArgument, containing: "offset -1") { _ = try read(-1, 10) }
    }

    @Test func oneReaderServesManyThreadsAtOnce() async throws {
        let data = Self.bytes(1 << 20, seed: 3)
        let digest = try Self.put(store, data)
        let reader = try store.open(digest)
        defer { reader.close() }
        let mismatches = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var bad = 0
                    var buffer = [UInt8](repeating: 0, count: 4096)
                    for step in 0..<64 {
                        let offset = ((worker * 64 + step) * 4099) % (data.count - 4096)
                        let got = try buffer.withUnsafeMutableBytes { try reader.read(at: Int64(offset), into: $0) }
                        if got != 4096 || buffer[...] != data[offset..<offset + 4096] { bad += 1 }
                    }
                    return bad
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }

    @Test func aClosedReaderRefusesToRead() throws {
        let digest = try Self.put(store, Self.bytes(10))
        let reader = try store.open(digest)
        reader.close()
        reader.close()
        var buffer = [UInt8](repeating: 0, count: 4)
        expectWardenError(.invalidArgument, containing: "open it again") {
            _ = try buffer.withUnsafeMutableBytes { try reader.read(at: 0, into: $0) }
        }
    }

    @Test func openingAMissingBlobSaysSo() throws {
        let missing = sha("never uploaded")
        expectWardenError(.notFound, containing: [missing.description, "upload it first"]) { _ = try store.open(missing) }
        #expect(try store.size(of: missing) == nil)
        expectWardenError(.notFound, containing: missing.description) { _ = try store.verify(missing) }
    }

    // MARK: Materialize

    @Test func materializeMakesAHardLink() throws {
        let data = Self.bytes(5000)
        let digest = try Self.put(store, data)
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

    @Test func materializeRefusesToOverwriteAnotherFile() throws {
        let digest = try Self.put(store, Self.bytes(50))
        let target = try directory.write("work/taken.bin", "something else")
        expectWardenError(.conflict, containing: ["taken.bin", "already exists", digest.description]) {
            try store.materialize(digest, at: target)
        }
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "something else")
    }

    @Test func materializeOfAMissingBlobSaysSo() throws {
        let missing = sha("absent")
        expectWardenError(.notFound, containing: missing.description) {
            try store.materialize(missing, at: directory.file("work/x"))
        }
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

    @Test func materializeCopiesAcrossFilesystems() throws {
        let data = Self.bytes(70_000)
        let digest = try Self.put(store, data)
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

    @Test func aPartialUploadIsNotABlobAndStaleOnesAreCleared() throws {
        // An upload in progress...
        let bytes = Self.bytes(1000)
        let live = try store.beginUpload(maximumSize: nil)
        try bytes[..<500].withUnsafeBytes { try live.append($0) }
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
        try bytes[500...].withUnsafeBytes { try live.append($0) }
        #expect(try live.commit(expected: Digest.sha256(bytes)) == Digest.sha256(bytes))
        #expect(store.temporaryUploads().isEmpty)
        #expect(store.removeStaleUploads(olderThan: 0) == 0)
    }

    @Test func verifyNoticesABlobThatRotted() throws {
        let data = Self.bytes(4096)
        let digest = try Self.put(store, data)
        #expect(try store.verify(digest))
        let path = store.path(of: digest)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        var rotten = data
        rotten[100] ^= 0xFF
        try Data(rotten).write(to: URL(fileURLWithPath: path))
        #expect(try store.verify(digest) == false)
    }

    @Test func allDigestsIgnoresStrayFiles() throws {
        let a = try Self.put(store, Self.bytes(10, seed: 1))
        let b = try Self.put(store, Self.bytes(10, seed: 2))
        try directory.write("blobs/sha256/\(a.hex.prefix(2))/notes.txt", "not a blob")
        try directory.write("blobs/sha256/README", "not a blob either")
        #expect(try store.allDigests() == [a, b].sorted())
    }

    @Test func reopeningTheStoreKeepsTheBlobs() throws {
        let digest = try Self.put(store, Self.bytes(123))
        let again = try FileSystemBlobStore(root: directory.file("blobs"))
        #expect(try again.allDigests() == [digest])
        #expect(try again.verify(digest))
    }
}
