import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import WardenAPI
import WardenCore

/// A typed client of the registry API (`/api/v1`), on AsyncHTTPClient.
///
/// Uploads and downloads stream in 1 MiB chunks. Server errors come back as
/// `WardenError`s with the server's code and message.
///
/// ```swift
/// let client = RegistryClient(server: "http://127.0.0.1:8080", token: token)
/// let versions = try await client.versions(of: "fraud")
/// ```
public struct RegistryClient: Sendable {
    public let server: String
    public let token: String?
    let http: HTTPClient

    /// One client for the process: a refused connection fails at once instead of
    /// being retried until the request's deadline, as `HTTPClient.shared` does.
    public static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public init(server: String, token: String?, http: HTTPClient = RegistryClient.http) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.token = token
        self.http = http
    }

    /// A JSON object from the API.
    public typealias Object = [String: Any]

    // MARK: Requests

    func request(_ method: HTTPMethod, _ path: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: server + "/api/v1" + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        return request
    }

    func execute(_ request: HTTPClientRequest, timeout: TimeAmount = .seconds(300)) async throws -> HTTPClientResponse {
        do {
            return try await http.execute(request, timeout: timeout)
        } catch {
            throw WardenError(.ioFailure, "cannot reach the registry at \(server): \(error); start it with warden serve or set --server / WARDEN_SERVER", cause: error)
        }
    }

    /// Sends a request and reads the answer as `T`, turning error responses into `WardenError`s.
    func send<T: Decodable>(_ method: HTTPMethod, _ path: String, body: (some Encodable)? = Optional<Empty>.none, as type: T.Type = T.self) async throws -> T {
        var request = request(method, path)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try APIJSON.encode(body)))
        }
        let bytes = try await answer(to: request)
        do {
            return try APIJSON.decode(T.self, from: Data(bytes.readableBytesView))
        } catch {
            throw WardenError(.ioFailure, "the registry's answer to \(method) \(path) is not the \(T.self) this client expects (\(error)); is the server a different Warden version?", cause: error)
        }
    }

    /// Sends a request and reads a JSON object: for the answers WardenAPI has no type for yet.
    func json(_ method: HTTPMethod, _ path: String, body: Object? = nil) async throws -> Object {
        var request = request(method, path)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let bytes = try await answer(to: request)
        if bytes.readableBytes == 0 { return [:] }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView)) as? Object else {
            throw WardenError(.ioFailure, "the registry answered \(method) \(path) with something that is not a JSON object")
        }
        return object
    }

    /// An empty request body.
    struct Empty: Encodable {}

    private func answer(to request: HTTPClientRequest) async throws -> ByteBuffer {
        let response = try await execute(request)
        let bytes = try await response.body.collect(upTo: 64 << 20)
        try Self.check(response.status, bytes)
        return bytes
    }

    static func check(_ status: HTTPResponseStatus, _ body: ByteBuffer) throws {
        guard status.code >= 400 else { return }
        if let body = try? APIJSON.decode(ErrorBody.self, from: Data(body.readableBytesView)) {
            throw WardenError(WardenError.Code(rawValue: body.error.code), body.error.message, cause: RemoteError(status: Int(status.code), detail: body.error))
        }
        // No JSON error to show (a HEAD answer has no body): say at least what an auth refusal means.
        switch status.code {
        case 401:
            throw WardenError(.unauthenticated, "the registry answered 401 Unauthorized: this needs a valid token; pass it with --token or WARDEN_TOKEN")
        case 403:
            throw WardenError(.forbidden, "the registry answered 403 Forbidden: the token's role is too low for this; ask an admin for a token with a higher role")
        default:
            throw WardenError(.ioFailure, "the registry answered \(status.code) \(status.reasonPhrase)")
        }
    }

    /// An error response's status and body, kept as the `cause` of the `WardenError`.
    public struct RemoteError: Error, Sendable {
        public let status: Int
        public let detail: ErrorBody.Detail
    }

    static func encode(_ component: String) -> String {
        component.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? component
    }

    // MARK: Models and versions

    public func models(prefix: String?, tag: String?, limit: Int = 1000, cursor: String? = nil) async throws -> ModelList {
        var query: [String] = ["limit=\(limit)"]
        if let prefix { query.append("prefix=\(Self.encode(prefix))") }
        if let tag { query.append("tag=\(Self.encode(tag))") }
        if let cursor { query.append("cursor=\(Self.encode(cursor))") }
        return try await send(.GET, "/models?" + query.joined(separator: "&"))
    }

    public func model(_ name: String) async throws -> ModelDetail {
        try await send(.GET, "/models/\(Self.encode(name))")
    }

    public func versions(of model: String) async throws -> [VersionSummary] {
        try await send(.GET, "/models/\(Self.encode(model))/versions", as: VersionList.self).versions
    }

    /// The version a reference names (exact, alias, or latest).
    public func resolve(_ reference: ModelReference) async throws -> VersionDetail {
        let model = Self.encode(reference.name)
        switch reference.selector {
        case .version(let version): return try await send(.GET, "/models/\(model)/versions/\(version)")
        case .latest: return try await send(.GET, "/models/\(model)/latest")
        case .alias(let alias):
            let target = try await send(.GET, "/models/\(model)/aliases/\(alias)", as: AliasResource.self)
            return try await send(.GET, "/models/\(model)/versions/\(target.version)")
        }
    }

    public func publish(model: String, version: SemanticVersion, files: [(path: String, digest: Digest, size: Int64)], bundle: [UInt8]?) async throws -> VersionDetail {
        var signature: JSONValue?
        if let bundle {
            guard let parsed = JSONValue(json: bundle) else { throw WardenError(.invalidArgument, "the signature bundle is not JSON") }
            signature = parsed
        }
        let body = PublishRequest(
            version: version.description, files: files.map { FileResource(path: $0.path, digest: $0.digest.description, size: $0.size) }, bundle: signature
        )
        return try await send(.POST, "/models/\(Self.encode(model))/versions", body: body)
    }

    public func bundle(model: String, version: SemanticVersion) async throws -> [UInt8]? {
        let response = try await execute(request(.GET, "/models/\(Self.encode(model))/versions/\(version)/bundle"))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        if response.status == .notFound { return nil }
        try Self.check(response.status, bytes)
        return Array(bytes.readableBytesView)
    }

    public func yank(model: String, version: SemanticVersion, reason: String?) async throws -> VersionSummary {
        try await send(.POST, "/models/\(Self.encode(model))/versions/\(version)/yank", body: YankRequest(reason: reason))
    }

    public func unyank(model: String, version: SemanticVersion) async throws -> VersionSummary {
        try await send(.DELETE, "/models/\(Self.encode(model))/versions/\(version)/yank")
    }

    /// Changes a model's description and/or replaces its tags (nil leaves each as it is).
    public func updateModel(_ name: String, description: String?, tags: [String]?) async throws -> ModelResource {
        try await send(.PATCH, "/models/\(Self.encode(name))", body: UpdateModelRequest(description: description, tags: tags))
    }

    // MARK: Aliases

    public func alias(model: String, _ alias: String) async throws -> AliasResource {
        try await send(.GET, "/models/\(Self.encode(model))/aliases/\(alias)")
    }

    public func aliases(model: String) async throws -> [AliasResource] {
        try await send(.GET, "/models/\(Self.encode(model))/aliases", as: AliasList.self).aliases
    }

    public func setAlias(model: String, _ alias: String, to version: SemanticVersion) async throws -> AliasMoveResource {
        try await send(.PUT, "/models/\(Self.encode(model))/aliases/\(alias)", body: SetAliasRequest(version: version.description))
    }

    public func deleteAlias(model: String, _ alias: String) async throws -> AliasMoveResource {
        try await send(.DELETE, "/models/\(Self.encode(model))/aliases/\(alias)")
    }

    public func aliasHistory(model: String, _ alias: String?) async throws -> [AliasMoveResource] {
        let path = alias.map { "/models/\(Self.encode(model))/aliases/\($0)/history" } ?? "/models/\(Self.encode(model))/alias-history"
        return try await send(.GET, path, as: AliasHistory.self).history
    }

    // MARK: Rollouts

    public func startRollout(model: String, settings: Object) async throws -> Object {
        try await json(.POST, "/models/\(Self.encode(model))/rollout", body: settings)
    }

    public func rollout(model: String) async throws -> Object {
        try await json(.GET, "/models/\(Self.encode(model))/rollout")
    }

    /// `pause`, `resume`, `promote`, `abort` or `rollback`.
    public func controlRollout(model: String, command: String, reason: String?) async throws -> Object {
        try await json(.POST, "/models/\(Self.encode(model))/rollout/\(command)", body: reason.map { ["reason": $0] } ?? [:])
    }

    // MARK: Tokens

    /// The new token, with its secret (`token`), shown only this once.
    public func createToken(role: String, name: String?) async throws -> TokenResource {
        try await send(.POST, "/tokens", body: CreateTokenRequest(role: role, name: name))
    }

    public func tokens() async throws -> [TokenResource] {
        try await send(.GET, "/tokens", as: TokenList.self).tokens
    }

    public func revokeToken(id: Int64) async throws -> TokenResource {
        try await send(.DELETE, "/tokens/\(id)")
    }

    // MARK: Blobs

    /// Whether the server holds the blob.
    public func hasBlob(_ digest: Digest) async throws -> Bool {
        let response = try await execute(request(.HEAD, "/blobs/\(digest)"), timeout: .seconds(60))
        _ = try await response.body.collect(upTo: 1 << 20)
        if response.status == .notFound { return false }
        try Self.check(response.status, ByteBuffer())
        return true
    }

    /// Streams the file at `path` up as blob `digest`; `progress` gets each chunk's size.
    public func uploadBlob(_ digest: Digest, from path: String, size: Int64, progress: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        var request = request(.PUT, "/blobs/\(digest)")
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.body = .stream(FileChunks(path: path, chunkSize: 1 << 20, onChunk: progress), length: .known(size))
        let response = try await execute(request, timeout: .hours(6))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        try Self.check(response.status, bytes)
    }

    /// Streams a version's file into `destination` (created or truncated), returning the bytes written.
    public func download(model: String, version: SemanticVersion, path: String, to destination: String, progress: @escaping @Sendable (Int) -> Void = { _ in }) async throws -> Int64 {
        let encodedPath = path.split(separator: "/").map { Self.encode(String($0)) }.joined(separator: "/")
        let response = try await execute(request(.GET, "/models/\(Self.encode(model))/versions/\(version)/files/\(encodedPath)"), timeout: .hours(6))
        if response.status.code >= 400 {
            try Self.check(response.status, try await response.body.collect(upTo: 1 << 20))
        }
        try FileManager.default.createDirectory(atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: destination, contents: nil), let handle = FileHandle(forWritingAtPath: destination) else {
            throw WardenError(.ioFailure, "cannot write '\(destination)'")
        }
        defer { try? handle.close() }
        var written: Int64 = 0
        for try await buffer in response.body {
            try buffer.withUnsafeReadableBytes { try handle.write(contentsOf: Data($0)) }
            written += Int64(buffer.readableBytes)
            progress(buffer.readableBytes)
        }
        return written
    }
}
