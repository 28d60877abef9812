import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import WardenCore
import WardenServer
import WardenServing
import WardenTestSupport

/// `warden serve --repository DIR` with Triton's model control modes, over the
/// committed repository signed by model_signing (Tests/WardenServingTests/Fixtures).
@Suite("Serving a Triton-style repository")
struct RepositoryServingTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("WardenServingTests/Fixtures").path
    static let request = Array(#"{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]}"#.utf8)

    /// A writable copy of a fixture repository (`repository` or `pipelines`), served with `mode`.
    static func run(_ mode: ModelControlMode, folder: String = "repository", _ body: @Sendable (ServerHarness, any TestClientProtocol, String) async throws -> Void) async throws {
        let copy = try TemporaryDirectory("warden-\(folder)")
        defer { copy.remove() }
        let repository = copy.file(folder)
        try FileManager.default.copyItem(atPath: fixtures + "/" + folder, toPath: repository)
        try await ServerHarness.run({ configuration in
            configuration.repository = repository
            configuration.trustDirectory = fixtures + "/trust"
            configuration.modelControlMode = mode
            configuration.repositoryPollSeconds = 1
        }) { harness, client in
            try await body(harness, client, repository)
        }
    }

    static func index(_ client: any TestClientProtocol) async throws -> [[String: Any]] {
        let response = try await client.send(uri: "/v2/repository/index", method: .post)
        return try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]] ?? []
    }

    static func waitFor(_ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<250 {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    @Test("mode none loads the latest version at start; older versions are listed but not served")
    func none() async throws {
        try await Self.run(.none) { harness, client, _ in
            let ready = try await Self.waitFor { try await client.send(uri: "/v2/health/ready", method: .get).status == .ok }
            #expect(ready)
            let answer = try harness.json(try await client.send(uri: "/v2/models/iris/infer", method: .post, body: ByteBuffer(bytes: Self.request)))
            #expect(answer["model_version"] as? String == "2")
            let rows = try await Self.index(client)
            let two = rows.first { $0["version"] as? String == "2" }?["state"] as? String
            let one = rows.first { $0["version"] as? String == "1" }?["state"] as? String
            #expect(two == "READY")
            #expect(one == "UNAVAILABLE")
            let load = try await client.send(uri: "/v2/repository/models/iris/load", method: .post, headers: harness.headers(harness.adminToken))
            #expect(load.status == .badRequest)
            #expect(String(buffer: load.body).contains("--model-control-mode explicit"))
        }
    }

    @Test("mode explicit loads nothing until asked; a tampered version is refused with its reason")
    func explicit() async throws {
        try await Self.run(.explicit) { harness, client, repository in
            let ready = try await Self.waitFor { try await client.send(uri: "/v2/health/ready", method: .get).status == .ok }
            #expect(ready)
            let before = try await client.send(uri: "/v2/models/iris/infer", method: .post, body: ByteBuffer(bytes: Self.request))
            #expect(before.status == .serviceUnavailable)

            let load = try await client.send(uri: "/v2/repository/models/iris/load", method: .post, headers: harness.headers(harness.adminToken))
            #expect(load.status == .ok, "\(String(buffer: load.body))")
            let answer = try harness.json(try await client.send(uri: "/v2/models/iris/infer", method: .post, body: ByteBuffer(bytes: Self.request)))
            #expect(answer["model_version"] as? String == "2")

            // Tamper version 2 on disk and load again: refused, and version 2 as loaded keeps serving.
            try Data("name: iris\ndescription: changed after signing\n".utf8).write(to: URL(fileURLWithPath: repository + "/iris/2/warden.yaml"))
            let reload = try await client.send(uri: "/v2/repository/models/iris/load", method: .post, headers: harness.headers(harness.adminToken))
            #expect(reload.status == .ok)
            let rows = try await Self.index(client)
            let row = rows.first { $0["version"] as? String == "2" } ?? [:]
            let state = row["state"] as? String
            let reason = row["reason"] as? String ?? ""
            #expect(state == "READY")
            #expect(reason.contains("does not match its signature"))
            let still = try await client.send(uri: "/v2/models/iris/infer", method: .post, body: ByteBuffer(bytes: Self.request))
            #expect(still.status == .ok)

            let unload = try await client.send(uri: "/v2/repository/models/iris/unload", method: .post, headers: harness.headers(harness.adminToken))
            #expect(unload.status == .ok)
            let after = try await client.send(uri: "/v2/models/iris/infer", method: .post, body: ByteBuffer(bytes: Self.request))
            #expect(after.status == .serviceUnavailable)
        }
    }

    @Test("mode poll loads nothing again while the folders are unchanged, and serves a new version folder once it appears")
    func poll() async throws {
        try await Self.run(.poll) { harness, client, repository in
            let ready = try await Self.waitFor { try await client.send(uri: "/v2/health/ready", method: .get).status == .ok }
            #expect(ready)
            func loads() async throws -> String {
                let metrics = String(buffer: try await client.send(uri: "/metrics", method: .get).body)
                return metrics.split(separator: "\n").first { $0.hasPrefix(#"warden_model_loads_total{model="iris",outcome="loaded"}"#) }.map(String.init) ?? ""
            }
            let before = try await loads()
            // Two polls of the unchanged folders, counted (not guessed from the 1 s interval).
            let source = try #require(harness.server.serving.source as? RepositoryModelSource)
            let polled = source.completedPolls
            try await waitUntil("two more polls of the repository") { source.completedPolls >= polled + 2 }
            let after = try await loads()
            #expect(!before.isEmpty && before == after)
            try FileManager.default.copyItem(atPath: repository + "/iris/1", toPath: repository + "/iris/3")
            let served = try await Self.waitFor {
                let response = try await client.send(uri: "/v2/models/iris/infer", method: .post, body: ByteBuffer(bytes: Self.request))
                return (try? harness.json(response))?["model_version"] as? String == "3"
            }
            #expect(served)
        }
    }
}
