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

/// WASM pipelines served over V2 from a repository signed by model_signing
/// (Tests/WardenServingTests/Fixtures/pipelines): CSV text → iris → top-2
/// labels as one model version, and a whole model that is a WASM module.
@Suite("Serving WASM pipelines")
struct PipelineServingTests {
    static let fixtures = RepositoryServingTests.fixtures

    static func run(_ body: @Sendable (ServerHarness, any TestClientProtocol, String) async throws -> Void) async throws {
        try await RepositoryServingTests.run(.none, folder: "pipelines") { harness, client, repository in
            let ready = try await RepositoryServingTests.waitFor {
                let index = try await RepositoryServingTests.index(client)
                return index.filter { $0["state"] as? String == "READY" }.count == 2
            }
            let index = try await RepositoryServingTests.index(client)
            #expect(ready, "\(index)")
            try await body(harness, client, repository)
        }
    }

    static func infer(_ client: any TestClientProtocol, _ model: String, _ body: String) async throws -> TestResponse {
        try await client.send(uri: "/v2/models/\(model)/infer", method: .post, body: ByteBuffer(string: body))
    }

    @Test("pre → model → post answers labels and scores; metadata shows the pipeline's signature; metrics split time per stage")
    func pipeline() async throws {
        try await Self.run { harness, client, _ in
            let response = try await Self.infer(client, "iris-text", #"{"inputs":[{"name":"csv","shape":[3],"datatype":"BYTES","data":["5.1,3.5,1.4,0.2","6.7,3.0,5.2,2.3","5.9,3.0,4.2,1.5"]}]}"#)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let answer = try harness.json(response)
            let outputs = answer["outputs"] as? [[String: Any]] ?? []
            let labels = outputs.first { $0["name"] as? String == "labels" }
            let scores = outputs.first { $0["name"] as? String == "scores" }
            #expect(labels?["datatype"] as? String == "BYTES")
            #expect(labels?["shape"] as? [Int] == [3, 2])
            // Textbook flowers of Fisher's iris data, one of each species (make_iris.py trains the model on it):
            // onnxruntime 1.32 on model.onnx gives [0.9847, 0.0153, 0.0], [0.00004, 0.0389, 0.9610] and [0.0287, 0.8399, 0.1314].
            #expect(labels?["data"] as? [String] == ["setosa", "versicolor", "virginica", "versicolor", "versicolor", "virginica"])
            let values = (scores?["data"] as? [Double]) ?? []
            let expected = [0.9847, 0.0153, 0.9610, 0.0389, 0.8399, 0.1314]
            #expect(values.count == 6 && zip(values, expected).allSatisfy { abs($0 - $1) < 1e-3 }, "\(values)")

            let metadata = try harness.json(try await client.send(uri: "/v2/models/iris-text", method: .get))
            #expect((metadata["inputs"] as? [[String: Any]])?.first?["name"] as? String == "csv")
            #expect((metadata["outputs"] as? [[String: Any]])?.map { $0["name"] as? String } == ["labels", "scores"])
            #expect(metadata["platform"] as? String == "warden_pipeline")

            let metrics = String(buffer: try await client.send(uri: "/metrics", method: .get).body)
            for stage in ["preprocess", "model", "postprocess"] {
                #expect(metrics.contains(#"warden_pipeline_stage_duration_seconds_count{model="iris-text",version="1",stage="\#(stage)"}"#), "no \(stage) timer")
            }
        }
    }

    @Test("a module's refusal is a 400 with its message; running out of fuel is a 500 naming the limit; the server keeps serving")
    func failures() async throws {
        try await Self.run { harness, client, _ in
            let rejected = try await Self.infer(client, "iris-text", #"{"inputs":[{"name":"csv","shape":[1],"datatype":"BYTES","data":["1,2,3"]}]}"#)
            #expect(rejected.status == .badRequest)
            #expect(String(buffer: rejected.body).contains("each line must hold 4 comma-separated numbers"))

            let small = try harness.json(try await Self.infer(client, "spin", #"{"inputs":[{"name":"n","shape":[1],"datatype":"INT64","data":[10]}]}"#))
            #expect((small["outputs"] as? [[String: Any]])?.first?["data"] as? [Int] == [Self.spin(10)])

            let stuck = try await Self.infer(client, "spin", #"{"inputs":[{"name":"n","shape":[1],"datatype":"INT64","data":[100000000]}]}"#)
            #expect(stuck.status == .internalServerError)
            let message = String(buffer: stuck.body)
            #expect(message.contains("the model module spin.wat ran out of fuel (limit 1000000"), "\(message)")

            // Both models go on answering.
            let again = try await Self.infer(client, "iris-text", #"{"inputs":[{"name":"csv","shape":[1],"datatype":"BYTES","data":["5.1,3.5,1.4,0.2"]}]}"#)
            #expect(again.status == .ok)
            let after = try harness.json(try await Self.infer(client, "spin", #"{"inputs":[{"name":"n","shape":[1],"datatype":"INT64","data":[1000]}]}"#))
            #expect((after["outputs"] as? [[String: Any]])?.first?["data"] as? [Int] == [Self.spin(1000)])

            let metrics = String(buffer: try await client.send(uri: "/metrics", method: .get).body)
            #expect(metrics.contains(#"warden_sandbox_failures_total{model="spin",version="1",stage="model",reason="fuel"} 1"#))
            #expect(metrics.contains(#"warden_sandbox_failures_total{model="iris-text",version="1",stage="preprocess",reason="rejected"} 1"#))
        }
    }

    @Test("a pipeline whose module was changed after signing is refused at load, and the index says why")
    func tamperedModule() async throws {
        let copy = try TemporaryDirectory("warden-pipelines-tampered")
        defer { copy.remove() }
        let repository = copy.file("pipelines")
        try FileManager.default.copyItem(atPath: Self.fixtures + "/pipelines", toPath: repository)
        let pre = repository + "/iris-text/1/pre.wat"
        let text = try String(contentsOfFile: pre, encoding: .utf8)
        try (text + "\n;; one more line\n").write(toFile: pre, atomically: true, encoding: .utf8)
        try await ServerHarness.run({ configuration in
            configuration.repository = repository
            configuration.trustDirectory = Self.fixtures + "/trust"
        }) { _, client in
            let refused = try await RepositoryServingTests.waitFor {
                try await RepositoryServingTests.index(client).contains { $0["name"] as? String == "iris-text" && $0["state"] as? String == "UNAVAILABLE" }
            }
            #expect(refused)
            let row = try await RepositoryServingTests.index(client).first { $0["name"] as? String == "iris-text" }
            #expect((row?["reason"] as? String)?.contains("pre.wat") == true, "\(row ?? [:])")
        }
    }

    @Test("a pipeline from the registry batches concurrent requests, and its next version goes live through a canary rollout")
    func registryPipeline() async throws {
        try await ServerHarness.run({ _ in }) { harness, client in
            // The iris-text pipeline with dynamic batching, published twice (the card's description changes: a patch).
            func publish(_ version: String, production: Bool) async throws {
                let path = harness.directory.file("models/iris-text-\(version)")
                try FileManager.default.copyItem(atPath: Self.fixtures + "/pipelines/iris-text/1", toPath: path)
                try FileManager.default.removeItem(atPath: path + "/model.sig")
                var card = try String(contentsOfFile: path + "/warden.yaml", encoding: .utf8)
                card = card.replacingOccurrences(of: "description: ", with: "description: (\(version)) ")
                // 200 ms for a batch to fill: eight concurrent requests on a loaded machine still meet.
                card += "serving:\n  max_batch_size: 8\n  max_queue_delay_microseconds: 200000\n"
                try card.write(toFile: path + "/warden.yaml", atomically: true, encoding: .utf8)
                let body = try await harness.prepare(path, version: version, client: client)
                let published = try await harness.publish("iris-text", body, client: client)
                #expect(published.status == .created, "\(String(buffer: published.body))")
                guard production else { return }
                let alias = try await client.send(
                    uri: "/api/v1/models/iris-text/aliases/production", method: .put, headers: harness.headers(harness.adminToken),
                    body: ByteBuffer(string: #"{"version": "\#(version)"}"#)
                )
                #expect(alias.status == .ok, "\(String(buffer: alias.body))")
            }
            func waitServing(_ version: String) async throws -> Bool {
                try await RepositoryServingTests.waitFor {
                    String(buffer: try await client.send(uri: "/v2/models/iris-text/ready", method: .get).body).contains("\"version\":\"\(version)\"")
                }
            }
            try await publish("1.0.0", production: true)
            #expect(try await waitServing("1.0.0"))

            // Eight concurrent one-line requests, each answered with its own row. Each on its own
            // connection: the test client's requests reach the server one at a time.
            let rows = ["5.1,3.5,1.4,0.2", "6.7,3.0,5.2,2.3"]
            let port = try #require(client.port)
            let responses = await ConcurrentRequests.post(port: port, "/v2/models/iris-text/infer", bodies: (0..<8).map {
                #"{"inputs":[{"name":"csv","shape":[1],"datatype":"BYTES","data":["\#(rows[$0 % 2])"]}]}"#
            })
            var answers: [Int: [String]] = [:]
            for (index, response) in responses.enumerated() {
                let object = try? JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any]
                let labels = (object?["outputs"] as? [[String: Any]])?.first { $0["name"] as? String == "labels" }
                answers[index] = labels?["data"] as? [String] ?? ["\(response.status) \(response.body)"]
            }
            for index in 0..<8 {
                #expect(answers[index] == (index % 2 == 0 ? ["setosa", "versicolor"] : ["virginica", "versicolor"]), "request \(index): \(answers[index] ?? [])")
            }
            // ...and batched: the eight requests ran in fewer executions, at least one of several rows.
            let stats = try harness.json(try await client.send(uri: "/v2/models/iris-text/versions/1.0.0/stats", method: .get))
            let row = try #require((stats["model_stats"] as? [[String: Any]])?.first, "\(stats)")
            let executions = try #require(row["execution_count"] as? Int)
            #expect(row["inference_count"] as? Int == 8, "\(row)")
            #expect(executions < 8, "eight concurrent requests ran in \(executions) executions: not batched")
            let sizes = (row["batch_stats"] as? [[String: Any]] ?? []).compactMap { $0["batch_size"] as? Int }
            #expect(sizes.contains { $0 > 1 }, "batch sizes \(sizes)")

            // 1.0.1 goes live through a canary rollout: 50 %, then 100 %, then production moves.
            try await publish("1.0.1", production: false)
            let started = try await client.send(
                uri: "/api/v1/models/iris-text/rollout", method: .post, headers: harness.headers(harness.adminToken),
                body: ByteBuffer(string: #"{"candidate": "1.0.1", "steps": [50, 100], "interval_seconds": 1, "min_requests": 5, "max_error_rate": 0.5}"#)
            )
            #expect(started.status == .created, "\(String(buffer: started.body))")
            var versions: Set<String> = []
            var failures = 0
            var phase = ""
            for _ in 0..<2000 where phase != "promoted" {
                let response = try await Self.infer(client, "iris-text", #"{"inputs":[{"name":"csv","shape":[1],"datatype":"BYTES","data":["5.1,3.5,1.4,0.2"]}]}"#)
                if response.status == .ok, let version = try harness.json(response)["model_version"] as? String { versions.insert(version) } else { failures += 1 }
                let status = try harness.json(try await client.send(uri: "/api/v1/models/iris-text/rollout", method: .get, headers: harness.headers(harness.adminToken)))
                phase = status["phase"] as? String ?? ""
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(phase == "promoted")
            #expect(failures == 0)
            #expect(versions.contains("1.0.1"))
            #expect(try await waitServing("1.0.1"))
        }
    }

    /// What spin.wat computes: the sum over i < n of (i*i) xor (i >> 3), wrapping.
    static func spin(_ n: Int) -> Int {
        var sum: Int64 = 0
        for i in 0..<Int64(n) { sum &+= (i &* i) ^ (i >> 3) }
        return Int(sum)
    }
}
