import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import WardenCore
import WardenRegistry
import WardenServer

/// Who may call what, on a live server: every route of `Endpoint` against an anonymous
/// caller and a token of each role. `Endpoint` is the route table that
/// `OpenAPIConformanceTests` keeps equal to the router and to openapi.yaml, and `need(_:)`
/// switches over it without a default: a new route does not compile until it has a row here.
@Suite("Access control: every route, every role")
struct AccessControlTests {
    /// The callers of the table, lowest first.
    enum Caller: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case anonymous, reader, publisher, deployer, admin

        var role: Role? {
            switch self {
            case .anonymous: nil
            case .reader: .reader
            case .publisher: .publisher
            case .deployer: .deployer
            case .admin: .admin
            }
        }

        var testDescription: String { rawValue }
    }

    /// What a route asks of its caller.
    enum Need: Equatable, Sendable {
        /// Nobody is refused: probes, the contract, metrics, and the V2 inference API (as in KServe and Triton).
        case nothing
        /// A token of at least this role.
        case role(Role)
    }

    /// The table: what every route needs. No `default`, so a new `Endpoint` case needs a row to compile.
    static func need(_ endpoint: Endpoint) -> Need {
        switch endpoint {
        case .getHealth, .getReadiness, .getOpenAPI, .getAPIInfo, .getMetrics: .nothing
        case .v2ServerMetadata, .v2ServerLive, .v2ServerReady, .v2AllModelStats: .nothing
        case .v2ModelMetadata, .v2ModelVersionMetadata, .v2ModelReady, .v2ModelVersionReady: .nothing
        case .v2ModelConfig, .v2ModelVersionConfig, .v2ModelStats, .v2ModelVersionStats: .nothing
        case .v2ModelInfer, .v2ModelVersionInfer, .v2RepositoryIndex: .nothing
        case .v2RepositoryLoad, .v2RepositoryUnload: .role(.deployer)

        case .listModels, .getModel: .role(.reader)
        case .createModel, .updateModel: .role(.publisher)
        case .deleteModel: .role(.admin)
        case .listVersions, .getVersion, .getVersionBundle, .getVersionLineage, .getVersionFile, .getLatestVersion, .listVersionsByDataset: .role(.reader)
        case .publishVersion: .role(.publisher)
        case .yankVersion, .unyankVersion: .role(.deployer)
        case .listAliases, .getAlias, .getAliasHistory, .getModelAliasHistory: .role(.reader)
        case .setAlias, .deleteAlias: .role(.deployer)
        case .headBlob, .getBlob: .role(.reader)
        case .putBlob: .role(.publisher)
        case .listEvents: .role(.reader)
        case .listTokens, .createToken, .revokeToken: .role(.admin)
        case .getRollout: .role(.reader)
        case .startRollout, .controlRollout: .role(.deployer)
        }
    }

    /// Every route that changes something: everything but GET and HEAD.
    static let stateChanging = Endpoint.allCases.filter { $0.method != .get && $0.method != .head }
    static let reads = Endpoint.allCases.filter { $0.method == .get || $0.method == .head }

    @Test("the table has the state-changing routes the registry and repository APIs promise")
    func theTableIsWhatTheDocsSay() {
        // A guard against loosening a row by accident: every write but the V2 protocol's own needs a token.
        let open = Self.stateChanging.filter { Self.need($0) == .nothing }.map(\.operationID).sorted()
        #expect(open == ["v2ModelInfer", "v2ModelVersionInfer", "v2RepositoryIndex"])
        #expect(Self.stateChanging.count >= 15, "\(Self.stateChanging.map(\.operationID))")
    }

    @Test("the table says what openapi.yaml says: routes with no security need nothing, every other needs the role its text names (reader unless another is named)")
    func theTableIsTheDocument() throws {
        let documented = try Self.documentedNeeds()
        #expect(Set(documented.keys) == Set(Endpoint.allCases.map(\.operationID)), "operations of openapi.yaml vs the route table")
        for endpoint in Endpoint.allCases {
            guard let need = documented[endpoint.operationID] else { continue }
            #expect(Self.need(endpoint) == need, "\(endpoint.operationID): the table says \(Self.need(endpoint)), openapi.yaml says \(need)")
        }
    }

    /// What each operation of openapi.yaml asks of its caller: `security: []` (or an optional
    /// `- {}`) is nothing; otherwise the role its summary or description names ("Role deployer.",
    /// "(deployer)"), reader when it names none (the document's "reader: read everything").
    static func documentedNeeds() throws -> [String: Need] {
        let text = String(decoding: try OpenAPIDocument.data(), as: UTF8.self)
        var needs: [String: Need] = [:]
        var current: String?
        var open = false
        var named: Role?
        func finish() {
            guard let current else { return }
            needs[current] = open ? .nothing : .role(named ?? .reader)
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let indent = line.prefix { $0 == " " }.count
            let content = line.dropFirst(indent)
            // An operation's own keys sit at indent 6 (its text at 8); deeper ones (links) are not its own.
            if indent <= 4 {
                finish()
                current = nil
            } else if indent == 6, content.hasPrefix("operationId: ") {
                finish()
                current = String(content.dropFirst("operationId: ".count))
                open = false
                named = nil
            } else if current != nil, indent == 6, content == "security: []" {
                open = true
            } else if current != nil, indent == 8, content == "- {}" {
                open = true
            } else if current != nil, indent == 6 || indent == 8, named == nil {
                named = Role.allCases.first { content.contains("Role \($0).") || content.contains("Role \($0) ") || content.contains("(\($0))") }
            }
        }
        finish()
        return needs
    }

    // MARK: State-changing routes

    /// One request per caller for `endpoint`, after whatever set-up (done as admin) lets an
    /// allowed caller's request succeed: a model to delete, a token to revoke, a rollout to pause.
    struct Call {
        var uri: String
        var body: ByteBuffer?
    }

    @Test("each caller against every state-changing route: 401 without a token, 403 below the route's role, 2xx from the lowest role allowed", arguments: stateChanging)
    func stateChangingRoute(_ endpoint: Endpoint) async throws {
        try await ServerHarness.run { harness, client in
            let calls = try await Self.prepare(endpoint, harness, client)
            var lowestAllowedSeen = false
            for caller in Caller.allCases {
                let call = try #require(calls[caller], "no request for \(caller)")
                let token = try await Self.token(caller, harness, client)
                let response = try await client.send(uri: call.uri, method: endpoint.method, headers: harness.headers(token), body: call.body)
                let body = String(buffer: response.body)
                switch Self.expectation(Self.need(endpoint), caller) {
                case .unauthenticated:
                    #expect(response.status == .unauthorized, "\(endpoint.operationID) as \(caller): \(response.status) \(body)")
                    #expect(body.contains("needs a token with role"), "\(endpoint.operationID) as \(caller): \(body)")
                case .forbidden:
                    #expect(response.status == .forbidden, "\(endpoint.operationID) as \(caller): \(response.status) \(body)")
                    #expect(body.contains("has role \(caller.rawValue)"), "\(endpoint.operationID) as \(caller): \(body)")
                case .allowed:
                    // The lowest role allowed must really succeed; a higher one may then meet a
                    // conflict its request made (a second rollout, a pause of a paused one), but
                    // never an authentication answer or a server error.
                    if !lowestAllowedSeen {
                        #expect((200..<300).contains(response.status.code), "\(endpoint.operationID) as \(caller), the lowest role allowed: \(response.status) \(body)")
                        lowestAllowedSeen = true
                    } else {
                        #expect((200..<500).contains(response.status.code), "\(endpoint.operationID) as \(caller): \(response.status) \(body)")
                        #expect(response.status != .unauthorized && response.status != .forbidden, "\(endpoint.operationID) as \(caller): \(body)")
                    }
                }
            }
            #expect(lowestAllowedSeen, "\(endpoint.operationID): no caller is allowed")
        }
    }

    @Test("with anonymous reads on, an anonymous caller still cannot change anything", arguments: stateChanging.filter { need($0) != .nothing })
    func anonymousReadsDoNotOpenWrites(_ endpoint: Endpoint) async throws {
        try await ServerHarness.run({ $0.allowAnonymousRead = true }) { harness, client in
            let uri = OpenAPIConformanceTests.example(endpoint.openAPIPath)
            let response = try await client.send(uri: uri, method: endpoint.method, body: ByteBuffer(string: "{}"))
            #expect(response.status == .unauthorized, "\(endpoint.operationID): \(response.status) \(String(buffer: response.body))")
        }
    }

    // MARK: Reads

    @Test("each caller against every read route: the same rule, and anonymous reads open exactly the reader routes", arguments: Caller.allCases, [false, true])
    func readRoutes(_ caller: Caller, anonymousRead: Bool) async throws {
        try await ServerHarness.run({ $0.allowAnonymousRead = anonymousRead }) { harness, client in
            // Something to read: a stored blob (HEAD has no body to tell a 404 from anything else).
            let stored = try await client.send(uri: "/api/v1/blobs/\(OpenAPIConformanceTests.blob)", method: .put, headers: harness.headers(harness.adminToken), body: ByteBuffer(string: "x"))
            #expect(stored.status == .created)
            let token = try await Self.token(caller, harness, client)
            for endpoint in Self.reads {
                let uri = OpenAPIConformanceTests.example(endpoint.openAPIPath)
                let response = try await client.send(uri: uri, method: endpoint.method, headers: harness.headers(token))
                let what = "\(endpoint.operationID) as \(caller) (anonymous reads \(anonymousRead ? "on" : "off")): \(response.status) \(String(buffer: response.body))"
                var expected = Self.expectation(Self.need(endpoint), caller)
                if anonymousRead, Self.need(endpoint) == .role(.reader) { expected = .allowed }
                switch expected {
                case .unauthenticated: #expect(response.status == .unauthorized, "\(what)")
                case .forbidden: #expect(response.status == .forbidden, "\(what)")
                case .allowed:
                    // Reads of things that do not exist answer 404 from their handler: past authentication.
                    #expect(response.status != .unauthorized && response.status != .forbidden, "\(what)")
                }
            }
        }
    }

    // MARK: Helpers

    enum Expectation { case unauthenticated, forbidden, allowed }

    static func expectation(_ need: Need, _ caller: Caller) -> Expectation {
        guard case .role(let role) = need else { return .allowed }
        guard let have = caller.role else { return .unauthenticated }
        return have >= role ? .allowed : .forbidden
    }

    /// The caller's token: nil for anonymous, the bootstrap token for admin, a fresh one otherwise.
    static func token(_ caller: Caller, _ harness: ServerHarness, _ client: any TestClientProtocol) async throws -> String? {
        switch caller {
        case .anonymous: nil
        case .admin: harness.adminToken
        default: try await harness.createToken(role: caller.rawValue, client: client).secret
        }
    }

    static let api = InferenceAPITests()

    /// Sets up what `endpoint` acts on and returns each caller's request.
    static func prepare(_ endpoint: Endpoint, _ harness: ServerHarness, _ client: any TestClientProtocol) async throws -> [Caller: Call] {
        let admin = harness.headers(harness.adminToken)
        func each(_ make: (Caller) async throws -> Call) async rethrows -> [Caller: Call] {
            var calls: [Caller: Call] = [:]
            for caller in Caller.allCases { calls[caller] = try await make(caller) }
            return calls
        }
        func json(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
        func created(_ response: TestResponse, _ what: String) {
            #expect((200..<300).contains(response.status.code), "set-up: \(what): \(response.status) \(String(buffer: response.body))")
        }
        /// iris@1.0.0 at production, served; with `candidate`, iris@1.1.0 published too.
        func served(candidate: Bool = false) async throws {
            try await api.publish(harness, client, fixture: "mlp-2layer.onnx", version: "1.0.0")
            _ = try await api.waitServing("1.0.0", client, within: .seconds(30))
            if candidate {
                let path = try harness.model("logreg-a.onnx", card: InferenceAPITests.card, as: "iris-110")
                created(try await harness.publish("iris", try await harness.prepare(path, version: "1.1.0", client: client), client: client), "publish 1.1.0")
            }
        }

        switch endpoint {
        case .createModel:
            return await each { Call(uri: "/api/v1/models", body: json(#"{"name": "m-\#($0.rawValue)"}"#)) }
        case .updateModel:
            created(try await client.send(uri: "/api/v1/models", method: .post, headers: admin, body: json(#"{"name": "fraud"}"#)), "create fraud")
            return await each { Call(uri: "/api/v1/models/fraud", body: json(#"{"description": "by \#($0.rawValue)"}"#)) }
        case .deleteModel:
            return try await each { caller in
                created(try await client.send(uri: "/api/v1/models", method: .post, headers: admin, body: json(#"{"name": "d-\#(caller.rawValue)"}"#)), "create d-\(caller)")
                return Call(uri: "/api/v1/models/d-\(caller.rawValue)", body: nil)
            }
        case .publishVersion:
            let path = try harness.model("logreg-a.onnx", as: "fraud")
            var patch = 0
            return try await each { _ in
                patch += 1
                return Call(uri: "/api/v1/models/fraud/versions", body: try await harness.prepare(path, version: "1.0.\(patch)", client: client))
            }
        case .yankVersion, .unyankVersion:
            var patch = 0
            return try await each { _ in
                patch += 1
                let path = try harness.model("logreg-a.onnx", as: "fraud-\(patch)")
                created(try await harness.publish("fraud", try await harness.prepare(path, version: "1.0.\(patch)", client: client), client: client), "publish 1.0.\(patch)")
                let uri = "/api/v1/models/fraud/versions/1.0.\(patch)/yank"
                if endpoint == .unyankVersion { created(try await client.send(uri: uri, method: .post, headers: admin), "yank 1.0.\(patch)") }
                return Call(uri: uri, body: nil)
            }
        case .setAlias, .deleteAlias:
            let path = try harness.model("logreg-a.onnx", as: "fraud")
            created(try await harness.publish("fraud", try await harness.prepare(path, version: "1.0.0", client: client), client: client), "publish 1.0.0")
            return try await each { caller in
                let uri = "/api/v1/models/fraud/aliases/a-\(caller.rawValue)"
                if endpoint == .deleteAlias {
                    created(try await client.send(uri: uri, method: .put, headers: admin, body: json(#"{"version": "1.0.0"}"#)), "set \(uri)")
                    return Call(uri: uri, body: nil)
                }
                return Call(uri: uri, body: json(#"{"version": "1.0.0"}"#))
            }
        case .putBlob:
            return await each { caller in
                let bytes = Array("blob of \(caller.rawValue)".utf8)
                return Call(uri: "/api/v1/blobs/\(Digest.sha256(bytes))", body: ByteBuffer(bytes: bytes))
            }
        case .createToken:
            return await each { Call(uri: "/api/v1/tokens", body: json(#"{"role": "reader", "name": "t-\#($0.rawValue)"}"#)) }
        case .revokeToken:
            return try await each { _ in
                let id = try await harness.createToken(role: "reader", client: client).id
                return Call(uri: "/api/v1/tokens/\(id)", body: nil)
            }
        case .startRollout:
            try await served(candidate: true)
            return await each { _ in Call(uri: "/api/v1/models/iris/rollout", body: json(#"{"candidate": "1.1.0", "interval_seconds": 600}"#)) }
        case .controlRollout:
            try await served(candidate: true)
            created(try await client.send(uri: "/api/v1/models/iris/rollout", method: .post, headers: admin, body: json(#"{"candidate": "1.1.0", "interval_seconds": 600}"#)), "start a rollout")
            return await each { _ in Call(uri: "/api/v1/models/iris/rollout/pause", body: nil) }
        case .v2RepositoryLoad, .v2RepositoryUnload:
            try await served()
            let verb = endpoint == .v2RepositoryLoad ? "load" : "unload"
            return await each { _ in Call(uri: "/v2/repository/models/iris/\(verb)", body: nil) }
        case .v2RepositoryIndex:
            return await each { _ in Call(uri: "/v2/repository/index", body: nil) }
        case .v2ModelInfer, .v2ModelVersionInfer:
            try await served()
            let uri = endpoint == .v2ModelInfer ? "/v2/models/iris/infer" : "/v2/models/iris/versions/1.0.0/infer"
            return await each { _ in Call(uri: uri, body: json(InferenceAPITests.request)) }
        default:
            Issue.record("\(endpoint.operationID) (\(endpoint.method) \(endpoint.path)) changes state but has no request in AccessControlTests.prepare")
            return [:]
        }
    }
}
