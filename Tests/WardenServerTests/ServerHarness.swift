import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import WardenCore
import WardenIntegrity
import WardenRegistry
import WardenServer
import WardenTestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A real registry server on a loopback port over a fresh data directory
/// (real SQLite file, real blob folder), with a signing key it trusts.
struct ServerHarness {
    let server: WardenServer
    let directory: TemporaryDirectory
    let configuration: ServerConfiguration
    let key: SigningKey
    let adminToken: String

    static func fixture(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("WardenModelTests/Fixtures/sklearn/\(name)").path
    }

    /// Runs `body` against a live server; the data directory is removed afterwards.
    /// - Parameter logs: records the server's log from info up; without it, warnings and above go to the console.
    static func run<T: Sendable>(
        _ adjust: @Sendable (inout ServerConfiguration) -> Void = { _ in },
        logs: LogRecorder? = nil,
        _ body: @Sendable (ServerHarness, any TestClientProtocol) async throws -> T
    ) async throws -> T {
        let directory = try TemporaryDirectory("warden-server")
        defer { directory.remove() }
        let key = SigningKey.generate(.ecdsaP256)
        try directory.write("data/trust/ci.pub", key.publicKey.pem)
        var configuration = ServerConfiguration()
        configuration.dataDirectory = directory.file("data")
        configuration.host = "127.0.0.1"
        configuration.port = 0
        adjust(&configuration)
        var logger = logs?.logger(label: "warden.test", level: .info) ?? Logger(label: "warden.test")
        if logs == nil { logger.logLevel = .warning }
        let server = try await WardenServer.open(configuration, logger: logger)
        let token = try String(contentsOfFile: directory.file("data/admin.token"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let harness = ServerHarness(server: server, directory: directory, configuration: configuration, key: key, adminToken: token)
        return try await server.application().test(.live) { client in
            try await body(harness, client)
        }
    }

    // MARK: Requests

    func headers(_ token: String?) -> HTTPFields {
        var fields = HTTPFields()
        if let token { fields[.authorization] = "Bearer \(token)" }
        return fields
    }

    func json(_ response: TestResponse) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any] else {
            throw WardenError(.invalidArgument, "response is not a JSON object: \(String(buffer: response.body))")
        }
        return object
    }

    func errorCode(_ response: TestResponse) -> String? {
        ((try? json(response))?["error"] as? [String: Any])?["code"] as? String
    }

    /// A model directory copied from a fixture, with an optional card.
    func model(_ fixture: String, card: String? = nil, as name: String) throws -> String {
        let path = try directory.copy(from: Self.fixture(fixture), to: "models/\(name)/model.onnx")
        if let card { try directory.write("models/\(name)/warden.yaml", card) }
        return URL(fileURLWithPath: path).deletingLastPathComponent().path
    }

    /// Uploads every file of `path` and returns the version request body.
    func prepare(_ path: String, version: String, sign: Bool = true, client: any TestClientProtocol, token: String? = nil) async throws -> ByteBuffer {
        let manifest = try ModelHasher().manifest(of: path)
        var files: [[String: Any]] = []
        for resource in manifest.resources {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: (path as NSString).appendingPathComponent(resource.path)))
            let response = try await client.send(
                uri: "/api/v1/blobs/\(resource.digest)", method: .put, headers: headers(token ?? adminToken), body: ByteBuffer(bytes: bytes)
            )
            guard response.status == .created || response.status == .ok else {
                throw WardenError(.ioFailure, "upload of \(resource.path) failed: \(response.status) \(String(buffer: response.body))")
            }
            files.append(["path": resource.path, "digest": resource.digest.description, "size": bytes.count])
        }
        var body: [String: Any] = ["version": version, "files": files]
        if sign {
            let bundle = try Signer(key: key).sign(manifest, modelName: "model")
            body["bundle"] = try JSONSerialization.jsonObject(with: Data(bundle.json()))
        }
        return ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body))
    }

    func publish(_ name: String, _ body: ByteBuffer, client: any TestClientProtocol, token: String? = nil) async throws -> TestResponse {
        try await client.send(uri: "/api/v1/models/\(name)/versions", method: .post, headers: headers(token ?? adminToken), body: body)
    }

    func createToken(role: String, client: any TestClientProtocol) async throws -> (id: Int, secret: String) {
        let response = try await client.send(
            uri: "/api/v1/tokens", method: .post, headers: headers(adminToken),
            body: ByteBuffer(string: #"{"role": "\#(role)", "name": "\#(role)-test"}"#)
        )
        let object = try json(response)
        return (object["id"] as! Int, object["token"] as! String)
    }
}

extension TestClientProtocol {
    /// `executeRequest` with defaults for headers and body.
    func send(uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: ByteBuffer? = nil) async throws -> TestResponse {
        try await executeRequest(uri: uri, method: method, headers: headers, body: body)
    }
}

extension ServerHarness {
    /// Sends `text` as it is over a fresh TCP connection and returns the first response's
    /// status line: for requests no HTTP client would send (a PUT with no framing at all).
    func rawStatusLine(_ text: String, port: Int) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw WardenError(.ioFailure, "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw WardenError(.ioFailure, "connect() to port \(port) failed") }
        let bytes = Array(text.utf8)
        guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == bytes.count else {
            throw WardenError(.ioFailure, "send() failed")
        }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { throw WardenError(.ioFailure, "no answer") }
        return String(decoding: buffer[..<count], as: UTF8.self).components(separatedBy: "\r\n").first ?? ""
    }
}
