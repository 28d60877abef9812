import Foundation
import Testing
import WardenCore
@testable import WardenRegistry

/// What every `BlobStore` promises, checked on each implementation with the same cases:
/// the filesystem store always, the S3 store against `WARDEN_TEST_S3_ENDPOINT` (moto in CI;
/// without it the S3 cases are left out and `theS3CasesRun` shows as skipped, with the reason).
@Suite struct BlobStoreContractTests {
    typealias Harness = BlobStoreHarness

    /// Runs `body` on a fresh store of `kind` and removes the scratch folder after.
    func with(_ kind: BlobStoreKind, _ body: (Harness) async throws -> Void) async throws {
        let harness = try await Harness.make(kind)
        defer { harness.remove() }
        try await body(harness)
    }

    // Skipped, visibly, when WARDEN_TEST_S3_ENDPOINT is unset: the cases below then run on the
    // filesystem store only (S3TestServer also prints why on stderr).
    @Test(.enabled(if: S3TestServer.isConfigured, "WARDEN_TEST_S3_ENDPOINT is not set: the S3 cases of this suite do not run; run scripts/test.sh"))
    func theS3CasesRun() {
        #expect(BlobStoreKind.testable == BlobStoreKind.allCases)
    }

    // MARK: Upload and read

    @Test(arguments: BlobStoreKind.testable)
    func uploadCommitAndReadBack(kind: BlobStoreKind) async throws {
        try await with(kind) { harness in
            let data = Harness.bytes(300_000)
            let digest = try await harness.put(data, chunk: 65_537)
            #expect(digest == Digest.sha256(data))
            #expect(try await harness.store.size(of: digest) == 300_000)
            #expect(try await harness.readAll(digest) == data)
            #expect(try await harness.readAll(digest, piece: 7_777) == data)
            #expect(try await harness.store.allDigests() == [digest])
            #expect(try await harness.leftovers().isEmpty)
        }
    }

    @Test(arguments: BlobStoreKind.testable)
    func commitWithoutAnExpectedDigestNamesTheBlobByItsBytes(kind: BlobStoreKind) async throws {
        try await with(kind) { harness in
            let upload = try await harness.store.beginUpload(maximumSize: nil)
            try await upload.append(contentsOf: Array("hello".utf8))
            #expect(upload.count == 5)
            #expect(try await upload.commit(expected: nil) == sha("hello"))
            #expect(try await harness.store.size(of: sha("hello")) == 5)
            await expectAsyncWardenError(.invalidArgument, containing: "already committed as \(sha("hello"))") {
                try await upload.append(contentsOf: [1])
            }
        }
    }

    @Test(arguments: BlobStoreKind.testable)
    func anEmptyBlobIsABlob(kind: BlobStoreKind) async throws {
        try await with(kind) { harness in
            let digest = try await harness.put([])
            #expect(digest.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
            #expect(try await harness.store.size(of: digest) == 0)
            #expect(try await harness.readAll(digest) == [])
        }
    }

    @Test(arguments: BlobStoreKind.testable)
    func committingTheSameBytesTwiceStoresOneBlob(kind: BlobStoreKind) async throws {
        try await with(kind) { harness in
            let data = Harness.bytes(10_000)
            let first = try await harness.put(data)
            let second = try await harness.put(data, chunk: 333)
            #expect(first == second)
            #expect(try await harness.store.allDigests() == [first])
            #expect(try await harness.everything().count == 1)
        }
    }

    // MARK: Ranged reads

    @Test(arguments: BlobStoreKind.testable)
    func rangedReadsAtOddOffsets(kind: BlobStoreKind) async throws {
        try await with(kind) { harness in
            let data = Harness.bytes(100_000)
            let digest = try await harness.put(data)
            let reader = try await harness.store.open(digest)
            defer { reader.close() }
            #expect(reader.size == 100_000)
            func read(_ offset: Int64, _ count: Int) async throws -> [UInt8] {
                Array(try await reader.read(at: offset, upTo: count).readableBytesView)
            }
            #expect(try await read(0, 10) == Array(data[0..<10]))
            #expect(try await read(1, 1) == [data[1]])
            #expect(try await read(50_001, 1_233) == Array(data[50_001..<51_234]))
            #expect(try await read(99_990, 100) == Array(data[99_990...]))  // short at the end
            #expect(try await read(99_999, 1) == [data[99_999]])
            #expect(try await read(100_000, 10) == [])
            #expect(try await read(1 << 40, 10) == [])
            #expect(try await read(5, 0) == [])
            await expectAsyncWardenError(.invalidArgument, containing: "offset -1; offsets start at 0") { _ = try await read(-1, 10) }
        }
    }

    @Test(arguments: BlobStoreKind.testable)
    func aClosedReaderRefusesToRead(kind: BlobStoreKind) async throws {
        try await with(kind) { harness in
            let digest = try await harness.put(Harness.bytes(10))
            let reader = try await harness.store.open(digest)
            reader.close()
            reader.close()
            await expectAsyncWardenError(.invalidArgument, containing: "read after its reader was closed; open it again") {
                _ = try await reader.read(at: 0, upTo: 4)
            }
        }
    }

    // MARK: Refusals leave nothing

    @Test(arguments: BlobStoreKind.testable)
    func aDigestMismatchLeavesNothingVisible(kind: BlobStoreKind) async throws {
        try await with(kind) { harness in
            let upload = try await harness.store.beginUpload(maximumSize: nil)
            try await upload.append(contentsOf: Array("the real bytes".utf8))
            let claimed = sha("other bytes")
            await expectAsyncWardenError(.digestMismatch, containing: [sha("the real bytes").description, claimed.description, "nothing was stored"]) {
                _ = try await upload.commit(expected: claimed)
            }
            #expect(try await harness.everything().isEmpty)
            #expect(try await harness.store.allDigests().isEmpty)
            #expect(try await harness.store.size(of: sha("the real bytes")) == nil)
            #expect(try await harness.store.size(of: claimed) == nil)
            // The upload is over; it says so rather than storing anything later.
            await expectAsyncWardenError(.invalidArgument, containing: "start a new upload") { _ = try await upload.commit(expected: nil) }
        }
    }

    @Test(arguments: BlobStoreKind.testable)
    func aMultipartDigestMismatchLeavesNothingVisible(kind: BlobStoreKind) async throws {
        try await with(kind) { harness in
            // Past two 5 MiB parts: the S3 store has sent parts before the digest is known.
            let data = Harness.bytes(11 << 20, seed: 5)
            let upload = try await harness.store.beginUpload(maximumSize: nil)
            try await Harness.append(data, to: upload, chunk: (1 << 20) + 1)
            await expectAsyncWardenError(.digestMismatch, containing: "nothing was stored") {
                _ = try await upload.commit(expected: sha("not these bytes"))
            }
            #expect(try await harness.everything().isEmpty)
            #expect(try await harness.store.size(of: Digest.sha256(data)) == nil)
        }
    }

    @Test(arguments: BlobStoreKind.testable)
    func abortLeavesNothing(kind: BlobStoreKind) async throws {
        try await with(kind) { harness in
            let small = try await harness.store.beginUpload(maximumSize: nil)
            try await small.append(contentsOf: Harness.bytes(100))
            await small.abort()
            await small.abort()
            await expectAsyncWardenError(.invalidArgument, containing: "aborted and its bytes discarded; start a new upload") {
                _ = try await small.commit(expected: nil)
            }

            let large = try await harness.store.beginUpload(maximumSize: nil)
            try await Harness.append(Harness.bytes(6 << 20), to: large, chunk: 1 << 20)
            await large.abort()
            #expect(try await harness.everything().isEmpty)
            #expect(try await harness.leftovers().isEmpty)

            // After a commit, abort is harmless.
            let committed = try await harness.store.beginUpload(maximumSize: nil)
            let digest = try await committed.commit(expected: nil)
            await committed.abort()
            #expect(try await harness.store.size(of: digest) == 0)
        }
    }

    @Test(arguments: BlobStoreKind.testable)
    func anUploadPastTheLimitIsRefusedAndSaysHowToRaiseIt(kind: BlobStoreKind) async throws {
        try await with(kind) { harness in
            let upload = try await harness.store.beginUpload(maximumSize: 10)
            try await upload.append(contentsOf: Harness.bytes(8))
            await expectAsyncWardenError(.payloadTooLarge, containing: ["limit of 10 bytes", "--max-blob-size", "discarded"]) {
                try await upload.append(contentsOf: Harness.bytes(3))
            }
            await expectAsyncWardenError(.invalidArgument, containing: "aborted") { _ = try await upload.commit(expected: nil) }
            #expect(try await harness.everything().isEmpty)

            // Exactly the limit is allowed.
            let exact = try await harness.store.beginUpload(maximumSize: 10)
            try await exact.append(contentsOf: Harness.bytes(10))
            #expect(try await exact.commit(expected: nil) == Digest.sha256(Harness.bytes(10)))

            // The limit is reported in readable units.
            let large = try await harness.store.beginUpload(maximumSize: 3 << 20)
            try await Harness.append(Harness.bytes(3 << 20), to: large, chunk: 1 << 20)
            await expectAsyncWardenError(.payloadTooLarge, containing: "3145728 bytes (3.0 MiB)") {
                try await large.append(contentsOf: [1])
            }
            await expectAsyncWardenError(.invalidArgument, containing: "must not be negative, but is -1") {
                _ = try await harness.store.beginUpload(maximumSize: -1)
            }
        }
    }

    // MARK: Lookups

    @Test(arguments: BlobStoreKind.testable)
    func sizeAndOpenOfAbsentAndPresentBlobs(kind: BlobStoreKind) async throws {
        try await with(kind) { harness in
            let missing = sha("never uploaded")
            #expect(try await harness.store.size(of: missing) == nil)
            await expectAsyncWardenError(.notFound, containing: "blob \(missing) is not in the store; upload it first") {
                _ = try await harness.store.open(missing)
            }
            let digest = try await harness.put(Harness.bytes(1234))
            #expect(try await harness.store.size(of: digest) == 1234)
            #expect(try await harness.store.remove(digest) == 1234)
            #expect(try await harness.store.size(of: digest) == nil)
            #expect(try await harness.store.remove(digest) == 0)
        }
    }

    @Test(arguments: BlobStoreKind.testable)
    func allDigestsListsEveryBlobSorted(kind: BlobStoreKind) async throws {
        try await with(kind) { harness in
            #expect(try await harness.store.allDigests() == [])
            var digests: [Digest] = []
            for seed in 0..<5 {
                digests.append(try await harness.put(Harness.bytes(10 + seed, seed: UInt8(seed))))
            }
            #expect(try await harness.store.allDigests() == digests.sorted())
        }
    }

    // MARK: Materialize

    @Test(arguments: BlobStoreKind.testable)
    func materializeWritesTheBlobAtAPath(kind: BlobStoreKind) async throws {
        try await with(kind) { harness in
            let data = Harness.bytes(70_000)
            let digest = try await harness.put(data)
            let target = harness.directory.file("work/model/weights/part.bin")
            try await harness.store.materialize(digest, at: target)
            #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data(data))
            // Again at the same place: already there, nothing to do.
            try await harness.store.materialize(digest, at: target)
            #expect(try FileManager.default.contentsOfDirectory(atPath: harness.directory.file("work/model/weights")) == ["part.bin"])

            let taken = try harness.directory.write("work/taken.bin", "something else")
            await expectAsyncWardenError(.conflict, containing: ["taken.bin", "already exists and is not blob \(digest)"]) {
                try await harness.store.materialize(digest, at: taken)
            }
            #expect(try String(contentsOfFile: taken, encoding: .utf8) == "something else")

            let missing = sha("absent")
            await expectAsyncWardenError(.notFound, containing: "blob \(missing) is not in the store") {
                try await harness.store.materialize(missing, at: harness.directory.file("work/x"))
            }
            #expect(!FileManager.default.fileExists(atPath: harness.directory.file("work/x")))
        }
    }

    // MARK: Large blobs

    @Test(arguments: BlobStoreKind.testable)
    func aMultipartUploadReadsBackWhole(kind: BlobStoreKind) async throws {
        try await with(kind) { harness in
            // Two full 5 MiB parts and a short last one, sent in chunks that straddle the parts.
            let data = Harness.bytes(12_345_678, seed: 9)
            let digest = try await harness.put(data, chunk: (1 << 20) + 7)
            #expect(digest == Digest.sha256(data))
            #expect(try await harness.store.size(of: digest) == Int64(data.count))
            let reader = try await harness.store.open(digest)
            defer { reader.close() }
            let boundary = 5 << 20
            let across = try await reader.read(at: Int64(boundary - 3), upTo: 10)
            #expect(Array(across.readableBytesView) == Array(data[(boundary - 3)..<(boundary + 7)]))
            #expect(try await harness.readAll(digest, piece: 4 << 20) == data)
            #expect(try await harness.leftovers().isEmpty)
            #expect(try await harness.store.allDigests() == [digest])

            let target = harness.directory.file("large.bin")
            try await harness.store.materialize(digest, at: target)
            #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data(data))
        }
    }
}
