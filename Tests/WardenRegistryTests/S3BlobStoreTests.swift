import Foundation
import NIOCore
import NIOHTTP1
import Testing
import WardenCore
@testable import WardenRegistry

/// What only the S3 store has: its settings, and the errors a user sees when the bucket,
/// the credentials or the server are wrong. Needs no server.
@Suite struct S3BlobStoreSettingsTests {
    @Test func theEnvironmentGivesEndpointRegionAndCredentials() throws {
        let configuration = try S3Configuration.fromEnvironment([
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9000/",
            "AWS_DEFAULT_REGION": "eu-west-3",
            "AWS_ACCESS_KEY_ID": "AKID",
            "AWS_SECRET_ACCESS_KEY": "secret",
            "AWS_SESSION_TOKEN": "token",
        ])
        #expect(configuration.endpoint == "http://127.0.0.1:9000")
        #expect(configuration.region == "eu-west-3")
        #expect(configuration.sessionToken == "token")
        #expect(configuration.pathStyle)
        #expect(configuration.location(bucket: "models", key: "a b/c").url == "http://127.0.0.1:9000/models/a%20b/c")

        // The S3-specific endpoint and AWS_REGION win; without an endpoint, AWS itself, virtual-host style when asked.
        let specific = try S3Configuration.fromEnvironment([
            "AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_S3": "https://s3.example.net",
            "AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "eu-west-3",
            "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret",
        ])
        #expect(specific.endpoint == "https://s3.example.net")
        #expect(specific.region == "us-west-2")
        let aws = try S3Configuration.fromEnvironment([
            "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_S3_ADDRESSING_STYLE": "virtual",
        ])
        #expect(aws.endpoint == "https://s3.us-east-1.amazonaws.com")
        #expect(aws.location(bucket: "models", key: "k").url == "https://models.s3.us-east-1.amazonaws.com/k")
    }

    @Test func missingOrMalformedSettingsAreRefused() {
        expectWardenError(.invalidArgument, containing: "S3 credentials are missing: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY") {
            _ = try S3Configuration.fromEnvironment(["AWS_ENDPOINT_URL": "http://127.0.0.1:9000"])
        }
        for endpoint in ["127.0.0.1:9000", "ftp://host", "http://host:9000/bucket", "http://", "http://host?x=1"] {
            expectWardenError(.invalidArgument, containing: "the S3 endpoint '\(endpoint)' is not http(s)://HOST[:PORT] (no path, no query); fix AWS_ENDPOINT_URL") {
                _ = try S3Configuration(endpoint: endpoint, accessKeyID: "a", secretAccessKey: "b")
            }
        }
        expectWardenError(.invalidArgument, containing: "AWS_S3_ADDRESSING_STYLE is 'dns'; use 'path'") {
            _ = try S3Configuration.fromEnvironment(["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b", "AWS_S3_ADDRESSING_STYLE": "dns"])
        }
    }

    @Test(arguments: ["ab", "Models", "my_bucket", "-models", "models-", "a..b", String(repeating: "a", count: 64)])
    func aBadBucketNameIsRefused(_ name: String) throws {
        let configuration = try S3TestServer.configuration(endpoint: "http://127.0.0.1:9000")
        expectWardenError(.invalidArgument, containing: "'\(name)' is not an S3 bucket name: use 3 to 63 lowercase letters, digits, dots and hyphens") {
            _ = try S3BlobStore(configuration: configuration, bucket: name)
        }
    }

    @Test func aPartSizeUnderS3sMinimumIsRefused() throws {
        let configuration = try S3TestServer.configuration(endpoint: "http://127.0.0.1:9000")
        expectWardenError(.invalidArgument, containing: "the S3 part size must be at least 5 MiB (5242880 bytes), S3's minimum, but is 1024") {
            _ = try S3BlobStore(configuration: configuration, bucket: "models", partSize: 1024)
        }
        let store = try S3BlobStore(configuration: configuration, bucket: "models", prefix: "/warden/prod/")
        #expect(store.key(of: sha("x")) == "warden/prod/blobs/sha256/\(sha("x").hex)")
        #expect(try S3BlobStore(configuration: configuration, bucket: "models").key(of: sha("x")) == "blobs/sha256/\(sha("x").hex)")
    }

    @Test func anUnreachableServerSaysWhichEndpointAndWhatToCheck() async throws {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        let store = try S3BlobStore(configuration: S3TestServer.configuration(endpoint: "http://127.0.0.1:1"), bucket: "models")
        await expectAsyncWardenError(.ioFailure, containing: [
            "cannot reach S3 at http://127.0.0.1:1 to check bucket 'models'",
            "check AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_S3) and that the server is running",
        ]) {
            try await store.checkBucket()
        }
        await expectAsyncWardenError(.ioFailure, containing: "cannot reach S3 at http://127.0.0.1:1 to look up 'blobs/sha256/") {
            _ = try await store.size(of: sha("x"))
        }
    }

    /// The answers S3 gives for refused credentials (moto accepts any, so these are AWS's
    /// documented error bodies), as the user sees them.
    @Test(arguments: ["InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "ExpiredToken"])
    func refusedCredentialsSayWhichVariablesToCheck(_ code: String) throws {
        let client = S3Client(configuration: try S3TestServer.configuration(endpoint: "http://127.0.0.1:9000"), bucket: "models")
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>\(code)</Code><Message>The request was refused.</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>"
        let response = S3Client.Response(status: .forbidden, headers: [:], body: ByteBuffer(string: body))
        let error = client.failure(response, action: "write", key: "blobs/sha256/ab")
        #expect(error.code == .ioFailure)
        #expect(error.message == "S3 at http://127.0.0.1:9000 refused to write 'blobs/sha256/ab' in bucket 'models' (\(code): The request was refused.); "
            + "check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) and the bucket's permissions")

        // A HEAD answer has no body: the status alone says it.
        let head = client.failure(S3Client.Response(status: .forbidden, headers: [:], body: ByteBuffer()), action: "check", key: "")
        #expect(head.message.hasPrefix("S3 at http://127.0.0.1:9000 refused to check bucket 'models' (AccessDenied); check AWS_ACCESS_KEY_ID"))
    }

    @Test func otherS3ErrorsNameTheCodeAndStatus() throws {
        let client = S3Client(configuration: try S3TestServer.configuration(endpoint: "http://127.0.0.1:9000"), bucket: "models")
        let body = "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
        let error = client.failure(S3Client.Response(status: .serviceUnavailable, headers: [:], body: ByteBuffer(string: body)), action: "read", key: "k")
        #expect(error.message == "S3 at http://127.0.0.1:9000 failed to read 'k' in bucket 'models': SlowDown: Please reduce your request rate. (HTTP 503); check the server's logs and try again")
        let html = client.failure(S3Client.Response(status: .badGateway, headers: [:], body: ByteBuffer(string: "<html>bad gateway")), action: "read", key: "k")
        #expect(html.message.contains("failed to read 'k' in bucket 'models': HTTP502 (HTTP 502)"))
    }
}

/// The S3 store against a real S3-compatible server (moto_server in CI and scripts/test.sh).
// Skipped, visibly, when WARDEN_TEST_S3_ENDPOINT is unset; S3TestServer also prints why on stderr.
@Suite(.enabled(if: S3TestServer.isConfigured, "WARDEN_TEST_S3_ENDPOINT is not set: start scripts/s3-test-server.sh or run scripts/test.sh"))
struct S3BlobStoreTests {
    @Test func aMissingBucketStopsStartUpWithOneClearLine() async throws {
        let endpoint = try #require(S3TestServer.endpoint)
        let name = "warden-missing-\(UUID().uuidString.prefix(8).lowercased())"
        let store = try S3BlobStore(configuration: S3TestServer.configuration(), bucket: name)
        await expectAsyncWardenError(.notFound, containing: "bucket '\(name)' does not exist at \(endpoint); create it or fix --blobs") {
            try await store.checkBucket()
        }
        // The same line from the first operation that meets it, not a bare 404.
        await expectAsyncWardenError(.notFound, containing: "bucket '\(name)' does not exist at \(endpoint)") {
            _ = try await store.allDigests()
        }
    }

    @Test func anExistingBucketChecksFine() async throws {
        let store = try await S3TestServer.store()
        try await store.checkBucket()
        try await store.createBucket()  // again: already ours, fine
    }

    @Test func allDigestsFollowsListingPages() async throws {
        let first = try await S3TestServer.store()
        // The same prefix, listed two keys per page.
        let paged = try S3BlobStore(
            configuration: first.client.configuration, bucket: first.bucket, prefix: first.prefix,
            partSize: S3BlobStore.minimumPartSize, listPageSize: 2, logger: first.logger
        )
        var digests: [Digest] = []
        for seed in 0..<5 {
            digests.append(try await BlobStoreHarness.put(paged, BlobStoreHarness.bytes(20, seed: UInt8(seed))))
        }
        let page = try await paged.client.listObjects(prefix: paged.blobsPrefix, continuation: nil, pageSize: 2)
        #expect(page.objects.count == 2)
        #expect(page.next != nil)
        #expect(try await paged.allDigests() == digests.sorted())
    }

    @Test func blobsLiveUnderThePrefixByDigest() async throws {
        let store = try await S3TestServer.store()
        let digest = try await BlobStoreHarness.put(store, BlobStoreHarness.bytes(100))
        let keys = try await store.client.listObjects(prefix: store.prefix + "/", continuation: nil).objects.map(\.key)
        #expect(keys == ["\(store.prefix)/blobs/sha256/\(digest.hex)"])
    }
}
