import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import WardenCore
import WardenServer

/// openapi.yaml and the server agree: the spec lists exactly the route table, the
/// router registered exactly the table, and every operation of the spec is answered
/// by a handler, not by the router's "no such endpoint".
@Suite struct OpenAPIConformanceTests {
    /// The table as the spec's operations: method, OpenAPI path and operationId.
    static let table = Endpoint.allCases.map {
        OpenAPIDocument.Operation(method: $0.method.rawValue, path: $0.openAPIPath, operationID: $0.operationID)
    }

    @Test func theSpecListsExactlyTheRouteTable() throws {
        let spec = try OpenAPIDocument.operations()
        let notInSpec = Set(Self.table).subtracting(spec).map(\.description).sorted()
        let notRegistered = Set(spec).subtracting(Self.table).map(\.description).sorted()
        #expect(notInSpec.isEmpty, "registered but missing from openapi.yaml: \(notInSpec)")
        #expect(notRegistered.isEmpty, "in openapi.yaml but not in the route table: \(notRegistered)")
        let ids = spec.compactMap(\.operationID)
        #expect(ids.count == spec.count && Set(ids).count == ids.count, "every operation needs a unique operationId")
    }

    @Test func theRouterRegisteredExactlyTheTable() async throws {
        try await ServerHarness.run { harness, _ in
            // Hummingbird's own record of what the controllers registered, whatever helper they used.
            let registered = harness.server.router().routes.map { "\($0.method.rawValue) \(Endpoint.openAPIPath($0.path))" }
            let table = Self.table.map { "\($0.method) \($0.path)" }
            #expect(registered.sorted() == table.sorted())
        }
    }

    @Test(arguments: [
        ("/api/v1/models/:model/versions/:version/files/**", "/api/v1/models/{model}/versions/{version}/files/{path}"),
        ("/api/v1/tokens/:id", "/api/v1/tokens/{id}"),
        ("/api/v1/models/{model}", "/api/v1/models/{model}"),
        ("/healthz", "/healthz"),
    ])
    func hummingbirdPathsBecomeOpenAPIPaths(router: String, openAPI: String) {
        #expect(Endpoint.openAPIPath(RouterPath(router)) == openAPI)
    }

    @Test func everySpecOperationIsAnsweredByAHandler() async throws {
        try await ServerHarness.run { harness, client in
            let auth = harness.headers(harness.adminToken)
            // A stored blob, so HEAD (which has no body to tell a handler's 404 from the router's) answers 200.
            #expect(try await client.send(uri: "/api/v1/blobs/\(Self.blob)", method: .put, headers: auth, body: ByteBuffer(string: "x")).status == .created)
            for operation in try OpenAPIDocument.operations() {
                let method = try #require(HTTPRequest.Method(operation.method))
                let response = try await client.send(uri: Self.example(operation.path), method: method, headers: auth)
                let body = String(buffer: response.body)
                #expect(!(response.status == .notFound && body.contains("no such endpoint")), "\(operation): \(body)")
                #expect(response.status != .methodNotAllowed, "\(operation): \(body)")
                if method == .head { #expect(response.status == .ok, "\(operation)") }
            }
        }
    }

    @Test func aKnownPathWithAnotherMethodIs405WithAllow() async throws {
        try await ServerHarness.run { harness, client in
            let auth = harness.headers(harness.adminToken)
            let cases: [(String, HTTPRequest.Method, String)] = [
                ("/api/v1/tokens", .patch, "GET, POST"),
                ("/api/v1/models/fraud", .put, "GET, PATCH, DELETE"),
                ("/api/v1/blobs/\(Self.blob)", .post, "HEAD, GET, PUT"),
                ("/api/v1/models/fraud/versions/1.0.0/files/weights/part-1.bin", .delete, "GET"),
                ("/healthz", .post, "GET"),
            ]
            for (uri, method, allowed) in cases {
                let response = try await client.send(uri: uri, method: method, headers: auth)
                #expect(response.status == .methodNotAllowed, "\(method) \(uri)")
                #expect(response.headers[.allow] == allowed, "\(method) \(uri)")
                #expect(harness.errorCode(response) == "method_not_allowed")
            }
            let unknown = try await client.send(uri: "/api/v1/models/fraud/nope", method: .get, headers: auth)
            #expect(unknown.status == .notFound && harness.errorCode(unknown) == "not_found")
        }
    }

    @Test func documentedNullableFieldsArePresentAsNull() async throws {
        try await ServerHarness.run { harness, client in
            let auth = harness.headers(harness.adminToken)
            #expect(try await client.send(uri: "/api/v1/models", method: .post, headers: auth, body: ByteBuffer(string: #"{"name": "empty"}"#)).status == .created)
            let model = try harness.json(try await client.send(uri: "/api/v1/models/empty", method: .get, headers: auth))
            #expect(model["latest"] is NSNull && model["version_count"] as? Int == 0)
            let page = try harness.json(try await client.send(uri: "/api/v1/models", method: .get, headers: auth))
            #expect(page["next_cursor"] is NSNull)
            let tokens = try #require(try harness.json(try await client.send(uri: "/api/v1/tokens", method: .get, headers: auth))["tokens"] as? [[String: Any]])
            #expect(tokens.first?["revoked_at"] is NSNull)
            let events = try #require(try harness.json(try await client.send(uri: "/api/v1/events", method: .get, headers: auth))["events"] as? [[String: Any]])
            let created = try #require(events.first { $0["kind"] as? String == "model.created" })
            #expect(created["version"] is NSNull && created["alias"] is NSNull && created["detail"] is [String: Any])
        }
    }

    @Test func pathParametersArePercentDecoded() async throws {
        try await ServerHarness.run({ $0.requireSignature = false }) { harness, client in
            let auth = harness.headers(harness.adminToken)
            let model = try harness.model("logreg-a.onnx", as: "a")
            let published = try await harness.publish("fraud", try await harness.prepare(model, version: "1.0.0+build.7", sign: false, client: client), client: client)
            #expect(published.status == .created, "\(String(buffer: published.body))")
            let version = try harness.json(try await client.send(uri: "/api/v1/models/fraud/versions/1.0.0%2Bbuild.7", method: .get, headers: auth))
            #expect(version["version"] as? String == "1.0.0+build.7")
            #expect(version["yank_reason"] is NSNull && version["baseline"] is NSNull && version["required_bump"] is NSNull)
            let description = try #require(version["description"] as? [String: Any])
            #expect(description["path"] == nil && description["format"] as? String == "onnx", "the server's scratch path stays private")
            let lineage = try #require(version["lineage"] as? [String: Any])
            #expect(lineage.keys.sorted() == ["code_revision", "dataset", "parent", "run_url"])
            let file = try await client.send(uri: "/api/v1/models/fraud/versions/1.0.0%2Bbuild.7/files/model%2Eonnx", method: .get, headers: auth)
            #expect(file.status == .ok)
            #expect(try await client.send(uri: "/api/v1/models/fr%61ud/latest", method: .get, headers: auth).status == .ok)
            let malformed = try await client.send(uri: "/api/v1/models/fraud/versions/1.0.0%ZZ", method: .get, headers: auth)
            #expect(malformed.status == .badRequest && harness.errorCode(malformed) == "invalid_argument")
        }
    }

    @Test func roleNamesAreExactlyTheSpecsEnum() async throws {
        try await ServerHarness.run { harness, client in
            let response = try await client.send(
                uri: "/api/v1/tokens", method: .post, headers: harness.headers(harness.adminToken), body: ByteBuffer(string: #"{"role": "Reader"}"#)
            )
            #expect(response.status == .badRequest && String(buffer: response.body).contains("role must be one of reader, publisher, deployer, admin"))
        }
    }

    // MARK: Examples

    static let blob = Digest.sha256(Array("x".utf8))

    /// A concrete request path for an OpenAPI path.
    static func example(_ path: String) -> String {
        let values = [
            "{model}": "fraud", "{version}": "1.0.0", "{alias}": "production", "{digest}": blob.description,
            "{path}": "weights/part-1.bin", "{id}": "999", "{command}": "pause",
        ]
        var uri = values.reduce(path) { $0.replacingOccurrences(of: $1.key, with: $1.value) }
        if path == "/api/v1/lineage" { uri += "?dataset=\(blob)" }
        return uri
    }
}
