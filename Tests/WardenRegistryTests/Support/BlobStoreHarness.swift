import Foundation
import Testing
import WardenCore
import WardenTestSupport
@testable import WardenRegistry

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The blob stores the shared suite runs against.
enum BlobStoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case fileSystem
    case s3

    var testDescription: String { rawValue }

    /// The kinds with a server to test against: the S3 store only when `WARDEN_TEST_S3_ENDPOINT` is set.
    static var testable: [BlobStoreKind] {
        S3TestServer.isConfigured ? allCases : [.fileSystem]
    }
}

/// The S3-compatible server the S3 cases use: `WARDEN_TEST_S3_ENDPOINT`, set by
/// scripts/test.sh after it starts moto_server (scripts/s3-test-server.sh).
enum S3TestServer {
    static let bucket = "warden-test"

    /// The endpoint, or nil; the first look at an unset variable prints one line to stderr,
    /// so a plain `swift test` says which suites it skipped and why.
    static let endpoint: String? = {
        if let value = ProcessInfo.processInfo.environment["WARDEN_TEST_S3_ENDPOINT"], !value.isEmpty { return value }
        let line = "warning: WARDEN_TEST_S3_ENDPOINT is not set: skipping the S3 cases of BlobStoreContractTests and S3BlobStoreTests; "
            + "run scripts/test.sh, which starts moto_server (scripts/s3-test-server.sh) and sets it\n"
        FileHandle.standardError.write(Data(line.utf8))
        return nil
    }()

    static var isConfigured: Bool { endpoint != nil }

    /// Credentials from the environment when set (moto accepts any), else dummies.
    static func configuration(endpoint: String? = endpoint, accessKeyID: String? = nil) throws -> S3Configuration {
        let environment = ProcessInfo.processInfo.environment
        return try S3Configuration(
            endpoint: endpoint,
            region: "us-east-1",
            accessKeyID: accessKeyID ?? environment["AWS_ACCESS_KEY_ID"] ?? "warden-test",
            secretAccessKey: environment["AWS_SECRET_ACCESS_KEY"] ?? "warden-test-secret"
        )
    }

    /// A store in the test bucket under a prefix of its own, so tests never see each other's blobs.
    /// The bucket is created by the test itself (CreateBucket), so nothing else needs setting up.
    static func store(partSize: Int = S3BlobStore.minimumPartSize) async throws -> S3BlobStore {
        let store = try S3BlobStore(configuration: configuration(), bucket: bucket, prefix: "test-\(UUID().uuidString.lowercased())", partSize: partSize)
        try await store.createBucket()
        return store
    }
}

/// One store of a kind, fresh for one test, with what the test needs to look inside it.
struct BlobStoreHarness: Sendable {
    let kind: BlobStoreKind
    let store: any BlobStore
    /// Scratch space for materialized files (and the filesystem store's folder).
    let directory: TemporaryDirectory

    /// A fresh store, or a cancelled test case when the kind's server is not configured.
    static func make(_ kind: BlobStoreKind) async throws -> BlobStoreHarness {
        let directory = try TemporaryDirectory("warden-blob-contract")
        switch kind {
        case .fileSystem:
            return BlobStoreHarness(kind: kind, store: try FileSystemBlobStore(root: directory.file("blobs")), directory: directory)
        case .s3:
            guard S3TestServer.isConfigured else {
                directory.remove()
                // Shown as a skipped case, never as a pass: WARDEN_TEST_S3_ENDPOINT is not set.
                try Test.cancel("WARDEN_TEST_S3_ENDPOINT is not set: no S3-compatible server to test against (scripts/test.sh starts one)")
            }
            return BlobStoreHarness(kind: kind, store: try await S3TestServer.store(), directory: directory)
        }
    }

    func remove() {
        directory.remove()
    }

    /// What uploads in progress or interrupted left behind: files in `uploads/`, or objects
    /// under `PREFIX/uploads/` (completed temporary objects; S3 lists unfinished multipart
    /// uploads separately and never as objects).
    func leftovers() async throws -> [String] {
        switch store {
        case let files as FileSystemBlobStore:
            return files.temporaryUploads()
        case let bucket as S3BlobStore:
            return try await bucket.client.listObjects(prefix: bucket.prefix + "/uploads/", continuation: nil).objects.map(\.key)
        default:
            return []
        }
    }

    /// Everything stored under the store's root, blobs and leftovers together.
    func everything() async throws -> [String] {
        switch store {
        case let files as FileSystemBlobStore:
            let walker = FileManager.default.enumerator(atPath: files.root)
            var found: [String] = []
            while let entry = walker?.nextObject() as? String {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: files.root + "/" + entry, isDirectory: &isDirectory), !isDirectory.boolValue {
                    found.append(entry)
                }
            }
            return found
        case let bucket as S3BlobStore:
            return try await bucket.client.listObjects(prefix: bucket.prefix + "/", continuation: nil).objects.map(\.key)
        default:
            return []
        }
    }

    // MARK: Bytes

    /// Some bytes that are not all alike, so an offset error shows.
    static func bytes(_ count: Int, seed: UInt8 = 0) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
    }

    /// Uploads `bytes` in chunks of `chunk` and commits.
    @discardableResult
    func put(_ bytes: [UInt8], expected: Digest? = nil, chunk: Int = 65_536) async throws -> Digest {
        try await Self.put(store, bytes, expected: expected, chunk: chunk)
    }

    @discardableResult
    static func put(_ store: any BlobStore, _ bytes: [UInt8], expected: Digest? = nil, chunk: Int = 65_536) async throws -> Digest {
        let upload = try await store.beginUpload(maximumSize: nil)
        try await append(bytes, to: upload, chunk: chunk)
        return try await upload.commit(expected: expected ?? Digest.sha256(bytes))
    }

    static func append(_ bytes: [UInt8], to upload: any BlobUpload, chunk: Int = 65_536) async throws {
        var start = 0
        while start < bytes.count {
            let end = min(start + chunk, bytes.count)
            try await upload.append(contentsOf: bytes[start..<end])
            start = end
        }
    }

    /// The whole blob, read in pieces of `piece` bytes.
    func readAll(_ digest: Digest, piece: Int = 1 << 20) async throws -> [UInt8] {
        try await Self.readAll(store, digest, piece: piece)
    }

    static func readAll(_ store: any BlobStore, _ digest: Digest, piece: Int = 1 << 20) async throws -> [UInt8] {
        let reader = try await store.open(digest)
        defer { reader.close() }
        var result: [UInt8] = []
        result.reserveCapacity(Int(reader.size))
        while result.count < reader.size {
            let chunk = try await reader.read(at: Int64(result.count), upTo: piece)
            #expect(chunk.readableBytes > 0)
            if chunk.readableBytes == 0 { break }
            result += chunk.readableBytesView
        }
        return result
    }
}
