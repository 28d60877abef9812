import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import WardenCore

/// The S3 operations the blob store needs, over AsyncHTTPClient, signed with
/// SigV4: objects (HEAD, ranged GET, PUT, copy, DELETE), multipart uploads
/// and ListObjectsV2, on one bucket.
///
/// Every failure is a `WardenError` that names the operation, the endpoint
/// and what to do (`S3Client+Errors.swift`).
struct S3Client: Sendable {
    let configuration: S3Configuration
    let bucket: String
    private let signer: SigV4Signer

    /// One HTTP client for the process, like `HTTPClient.shared`, but with a short
    /// connect timeout so an unreachable endpoint fails within seconds. A static is
    /// never deinitialised, so it needs no shutdown.
    static let http = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5), read: .seconds(120)),
            decompression: .disabled
        )
    )

    /// How long one request may take, a 16 MiB part on a slow link included.
    static let deadline = TimeAmount.minutes(10)

    init(configuration: S3Configuration, bucket: String) {
        self.configuration = configuration
        self.bucket = bucket
        self.signer = configuration.signer
    }

    /// A response whose body was read whole (every S3 answer but object bytes is small).
    struct Response {
        var status: HTTPResponseStatus
        var headers: HTTPHeaders
        var body: ByteBuffer

        var xml: S3XML? { S3XML.parse(Data(body.readableBytesView)) }
    }

    // MARK: Buckets

    /// Checks that the bucket exists and the credentials may use it.
    /// - Throws: `.notFound` for a missing bucket, `.ioFailure` for refused credentials or an unreachable server.
    func headBucket() async throws {
        let response = try await send(.HEAD, key: "", action: "check")
        guard response.status == .ok else { throw failure(response, action: "check", key: "") }
    }

    /// Creates the bucket (tests and first set-up); an existing bucket the caller owns is fine.
    func createBucket() async throws {
        var body: ByteBuffer?
        if configuration.region != "us-east-1" {
            body = ByteBuffer(string: "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>"
                + S3XML.escape(configuration.region) + "</LocationConstraint></CreateBucketConfiguration>")
        }
        let response = try await send(.PUT, key: "", body: body, action: "create")
        if response.status == .ok || response.xml?.value("Code") == "BucketAlreadyOwnedByYou" { return }
        throw failure(response, action: "create", key: "")
    }

    // MARK: Objects

    /// The object's size, or nil when there is no such key.
    func headObject(_ key: String) async throws -> Int64? {
        let response = try await send(.HEAD, key: key, action: "look up")
        if response.status == .notFound { return nil }
        guard response.status == .ok else { throw failure(response, action: "look up", key: key) }
        guard let length = response.headers.first(name: "content-length").flatMap(Int64.init) else {
            throw WardenError(.ioFailure, "S3 at \(configuration.endpoint) answered HEAD '\(key)' without a Content-Length; check that the endpoint is an S3-compatible server")
        }
        return length
    }

    /// The bytes of `range` (all of them when nil); nil when there is no such key.
    func getObject(_ key: String, range: Range<Int64>? = nil) async throws -> ByteBuffer? {
        var headers: [(String, String)] = []
        if let range { headers.append(("range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)")) }
        let limit = range.map { Int($0.count) } ?? Int.max
        let response = try await send(.GET, key: key, headers: headers, action: "read", collectUpTo: limit)
        if response.status == .notFound { return nil }
        guard response.status == .ok || response.status == .partialContent else { throw failure(response, action: "read", key: key) }
        return response.body
    }

    /// Streams the object to `consume`, chunk by chunk, without holding it whole.
    /// - Returns: false when there is no such key.
    func streamObject(_ key: String, into consume: (ByteBuffer) throws -> Void) async throws -> Bool {
        let action = "read"
        let request = prepare(.GET, key: key, query: [], headers: [], body: nil)
        let response = try await execute(request, action: action, key: key)
        if response.status == .notFound { return false }
        guard response.status == .ok else {
            let body = (try? await response.body.collect(upTo: 1 << 20)) ?? ByteBuffer()
            throw failure(Response(status: response.status, headers: response.headers, body: body), action: action, key: key)
        }
        do {
            for try await chunk in response.body { try consume(chunk) }
        } catch let error as WardenError {
            throw error
        } catch {
            throw transportFailure(error, action: action, key: key)
        }
        return true
    }

    func putObject(_ key: String, body: ByteBuffer) async throws {
        let response = try await send(.PUT, key: key, body: body, action: "write")
        guard response.status == .ok else { throw failure(response, action: "write", key: key) }
    }

    /// Copies `source` to `key` inside the bucket, on the server (S3 allows up to 5 GiB in one copy).
    func copyObject(from source: String, to key: String) async throws {
        let header = "/" + bucket + "/" + source
        let response = try await send(.PUT, key: key, headers: [("x-amz-copy-source", SigV4Signer.canonicalPath(header))], action: "copy '\(source)' to")
        // A copy can fail after its 200 was sent: the error is then in the body.
        guard response.status == .ok, response.xml?.name != "Error" else { throw failure(response, action: "copy '\(source)' to", key: key) }
    }

    /// Deletes the key; deleting a missing key succeeds, as in S3.
    func deleteObject(_ key: String) async throws {
        let response = try await send(.DELETE, key: key, action: "delete")
        guard response.status == .noContent || response.status == .ok || response.status == .notFound else {
            throw failure(response, action: "delete", key: key)
        }
    }

    /// One page of ListObjectsV2: keys under `prefix` with their sizes, and the token of the next page.
    func listObjects(prefix: String, continuation: String?, pageSize: Int = 1000) async throws -> (objects: [(key: String, size: Int64)], next: String?) {
        var query = [("list-type", "2"), ("prefix", prefix), ("max-keys", String(pageSize))]
        if let continuation { query.append(("continuation-token", continuation)) }
        let response = try await send(.GET, key: "", query: query, action: "list the objects under '\(prefix)' in")
        guard response.status == .ok, let xml = response.xml, xml.name == "ListBucketResult" else {
            throw failure(response, action: "list the objects under '\(prefix)' in", key: "")
        }
        let objects = xml.all("Contents").compactMap { entry -> (key: String, size: Int64)? in
            guard let key = entry.value("Key"), let size = entry.value("Size").flatMap(Int64.init) else { return nil }
            return (key, size)
        }
        let truncated = xml.value("IsTruncated") == "true"
        return (objects, truncated ? xml.value("NextContinuationToken") : nil)
    }

    // MARK: Multipart uploads

    /// - Returns: the upload id.
    func createMultipartUpload(_ key: String) async throws -> String {
        let response = try await send(.POST, key: key, query: [("uploads", "")], action: "start a multipart upload of")
        guard response.status == .ok, let id = response.xml?.value("UploadId"), !id.isEmpty else {
            throw failure(response, action: "start a multipart upload of", key: key)
        }
        return id
    }

    /// - Returns: the part's ETag, for `completeMultipartUpload`.
    func uploadPart(_ key: String, uploadID: String, number: Int, body: ByteBuffer) async throws -> String {
        let action = "upload part \(number) of"
        let response = try await send(.PUT, key: key, query: [("partNumber", String(number)), ("uploadId", uploadID)], body: body, action: action)
        guard response.status == .ok, let etag = response.headers.first(name: "etag") else { throw failure(response, action: action, key: key) }
        return etag
    }

    func completeMultipartUpload(_ key: String, uploadID: String, parts: [String]) async throws {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for (index, etag) in parts.enumerated() {
            xml += "<Part><PartNumber>\(index + 1)</PartNumber><ETag>\(S3XML.escape(etag))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let action = "complete the multipart upload of"
        let response = try await send(.POST, key: key, query: [("uploadId", uploadID)], body: ByteBuffer(string: xml), action: action)
        // Like a copy, a completion can fail after its 200: the error is then in the body.
        guard response.status == .ok, response.xml?.name != "Error" else { throw failure(response, action: action, key: key) }
    }

    /// Drops the parts uploaded so far; an upload already gone is fine.
    func abortMultipartUpload(_ key: String, uploadID: String) async throws {
        let action = "abort the multipart upload of"
        let response = try await send(.DELETE, key: key, query: [("uploadId", uploadID)], action: action)
        guard response.status == .noContent || response.status == .ok || response.status == .notFound else {
            throw failure(response, action: action, key: key)
        }
    }

    // MARK: Sending

    /// Signs and sends one request and reads its whole (small) body.
    func send(
        _ method: HTTPMethod, key: String, query: [(String, String)] = [], headers: [(String, String)] = [],
        body: ByteBuffer? = nil, action: String, collectUpTo limit: Int = 1 << 20
    ) async throws -> Response {
        let request = prepare(method, key: key, query: query, headers: headers, body: body)
        let response = try await execute(request, action: action, key: key)
        do {
            let collected = try await response.body.collect(upTo: max(limit, 1 << 16))
            return Response(status: response.status, headers: response.headers, body: collected)
        } catch {
            throw transportFailure(error, action: action, key: key)
        }
    }

    private func execute(_ request: HTTPClientRequest, action: String, key: String) async throws -> HTTPClientResponse {
        do {
            return try await Self.http.execute(request, timeout: Self.deadline)
        } catch {
            throw transportFailure(error, action: action, key: key)
        }
    }

    /// The request with its URL and signature. Bodies the store streams go unsigned
    /// (`UNSIGNED-PAYLOAD`): the store hashes the blob itself.
    private func prepare(
        _ method: HTTPMethod, key: String, query: [(String, String)], headers: [(String, String)], body: ByteBuffer?
    ) -> HTTPClientRequest {
        let location = configuration.location(bucket: bucket, key: key)
        let queryText = SigV4Signer.canonicalQuery(query)
        var request = HTTPClientRequest(url: location.url + (queryText.isEmpty ? "" : "?" + queryText))
        request.method = method
        let payload: SigV4Signer.Payload
        if let body, method == .POST {
            payload = .sha256(body.withUnsafeReadableBytes { SigV4Signer.hexSHA256($0) })
        } else {
            payload = body == nil ? .empty : .unsigned
        }
        // The Host header is set here, so the one sent is the one signed.
        let sent = [("host", location.host)] + headers
        let signable = SigV4Signer.Request(method: method.rawValue, path: location.path, query: query, headers: sent)
        for (name, value) in sent + signer.sign(signable, payload: payload, date: Date()) {
            request.headers.add(name: name, value: value)
        }
        if let body {
            request.body = .bytes(body)
        }
        return request
    }
}
