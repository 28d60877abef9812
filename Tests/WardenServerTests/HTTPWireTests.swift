import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import WardenCore
import WardenServer

/// What a real client can do on the wire that no well-behaved HTTP client does: a body
/// cut short, a `Content-Length` no integer holds. Each is the client's fault: a 4xx
/// that says what happened (or no answer), never a 500 nor an error in the server's log,
/// and nothing half-written left in the blob store.
@Suite struct HTTPWireTests {
    static let blobBytes = [UInt8](repeating: 42, count: 1000)
    static let blob = Digest.sha256(blobBytes)

    enum Framing: String, CaseIterable, Sendable {
        case contentLength, chunked
    }

    @Test(arguments: Framing.allCases)
    func aBlobUploadCutShortIsABadRequestAndStoresNothing(framing: Framing) async throws {
        let logs = LogRecorder()
        try await ServerHarness.run(logs: logs) { harness, client in
            let port = try #require(client.port)
            var head = "PUT /api/v1/blobs/\(Self.blob) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(harness.adminToken)\r\n"
            let tenBytes = Array(Self.blobBytes[..<10])
            let sent: [UInt8]
            switch framing {
            case .contentLength:
                head += "Content-Length: 1000\r\n\r\n"
                sent = Array(head.utf8) + tenBytes
            case .chunked:
                // One chunk of ten bytes, and never the last (empty) chunk.
                head += "Transfer-Encoding: chunked\r\n\r\n"
                sent = Array(head.utf8) + Array("a\r\n".utf8) + tenBytes + Array("\r\n".utf8)
            }
            let response = try await RawConnection.blocking {
                let connection = try RawConnection(port: port)
                connection.write(sent)
                connection.finishSending()
                return connection.response()
            }
            let answer = try #require(response, "no answer within 10 s")
            #expect(answer.status == 400, "\(answer.statusLine) \(answer.body)")
            #expect(answer.body.contains("incomplete_body"), "\(answer.body)")
            let expected = framing == .contentLength ? "the request body ended after 10 of 1000 bytes" : "the request body ended after 10 bytes, before its last chunk"
            #expect(answer.body.contains(expected), "\(answer.body)")

            let uploads = try FileManager.default.contentsOfDirectory(atPath: harness.directory.file("data/blobs/uploads"))
            #expect(uploads.isEmpty, "a partial upload was left behind: \(uploads)")
            let head404 = try await client.send(uri: "/api/v1/blobs/\(Self.blob)", method: .head, headers: harness.headers(harness.adminToken))
            #expect(head404.status == .notFound)
        }
        #expect(logs.entries(atLeast: .error).isEmpty, "a client's truncated upload was logged as a server error: \(logs.entries(atLeast: .error))")
    }

    @Test(arguments: ["/api/v1/models", "/api/v1/models/fraud/versions", "/v2/models/iris/infer"])
    func aJSONBodyCutShortSaysSoInsteadOfTooLarge(path: String) async throws {
        let logs = LogRecorder()
        try await ServerHarness.run(logs: logs) { harness, client in
            if path.hasPrefix("/v2") {
                // A served model, so the request gets as far as reading its body.
                try await InferenceAPITests().publish(harness, client, fixture: "mlp-2layer.onnx", version: "1.0.0")
                _ = try await InferenceAPITests().waitServing("1.0.0", client)
            }
            let port = try #require(client.port)
            let partial = #"{"name": "fraud""#
            let request = "POST \(path) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(harness.adminToken)\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n\(partial)"
            let response = try await RawConnection.blocking {
                let connection = try RawConnection(port: port)
                connection.write(request)
                connection.finishSending()
                return connection.response()
            }
            let answer = try #require(response, "no answer within 10 s")
            #expect(answer.status == 400, "\(answer.statusLine) \(answer.body)")
            #expect(answer.body.contains("the request body ended after \(partial.utf8.count) of 100 bytes"), "\(answer.body)")
            #expect(!answer.body.contains("larger than"), "\(answer.body)")
        }
        #expect(logs.entries(atLeast: .error).isEmpty, "\(logs.entries(atLeast: .error))")
    }

    /// 2^63 overflows the 64-bit length the old check parsed, so it waited for the body.
    @Test(arguments: [
        ("/api/v1/blobs/\(blob)", "9223372036854775808"), ("/api/v1/blobs/\(blob)", "9223372036854775807"),
        ("/api/v1/blobs/\(blob)", "99999999999999999999"), ("/api/v1/models", "9223372036854775808"),
    ])
    func aContentLengthNoIntegerHoldsIsRefusedAtOnce(path: String, length: String) async throws {
        try await ServerHarness.run { harness, client in
            let port = try #require(client.port)
            let method = path.hasPrefix("/api/v1/blobs") ? "PUT" : "POST"
            let request = "\(method) \(path) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(harness.adminToken)\r\nContent-Length: \(length)\r\n\r\nabc"
            let response = try await RawConnection.blocking {
                let connection = try RawConnection(port: port)
                connection.write(request)
                return connection.response(within: .seconds(10))
            }
            let answer = try #require(response, "Content-Length: \(length) got no answer within 10 s")
            #expect(answer.status == 413 || answer.status == 400, "\(answer.statusLine) \(answer.body)")
            if answer.status == 413 { #expect(answer.body.contains("payload_too_large") && answer.body.contains("limit")) }
        }
    }
}

extension HTTPWireTests {
    /// Found by the contract run: a deployer's max_p99_ms of 1e16 overflowed Int64 and stopped the server.
    @Test(arguments: [#"{"candidate": "1.0.0", "max_p99_ms": 1.4368441863195506e+16}"#, #"{"candidate": "1.0.0", "interval_seconds": 1e300}"#])
    func rolloutNumbersTooLargeAreRefusedAndTheServerKeepsServing(body: String) async throws {
        try await ServerHarness.run { harness, client in
            let response = try await client.send(
                uri: "/api/v1/models/fraud/rollout", method: .post, headers: harness.headers(harness.adminToken), body: ByteBuffer(string: body)
            )
            #expect(response.status == .badRequest, "\(String(buffer: response.body))")
            #expect(String(buffer: response.body).contains("at most"), "\(String(buffer: response.body))")
            #expect(try await client.send(uri: "/healthz", method: .get).status == .ok)
        }
    }
}
