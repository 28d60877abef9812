import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import WardenCore
import WardenServer
import WardenTestSupport

/// Rollouts on a live server: traffic split, windows judged, promotion, automatic abort.
@Suite("Rollouts")
struct RolloutAPITests {
    let api = InferenceAPITests()

    /// iris@1.0.0 (an MLP) at production and iris@1.1.0 (a logistic regression) published, both served.
    func prepare(_ harness: ServerHarness, _ client: any TestClientProtocol) async throws {
        try await api.publish(harness, client, fixture: "mlp-2layer.onnx", version: "1.0.0")
        _ = try await api.waitServing("1.0.0", client)
        let path = try harness.model("logreg-a.onnx", card: InferenceAPITests.card, as: "iris-110")
        let published = try await harness.publish("iris", try await harness.prepare(path, version: "1.1.0", client: client), client: client)
        #expect(published.status == .created)
    }

    func start(_ harness: ServerHarness, _ client: any TestClientProtocol, _ body: String) async throws -> [String: Any] {
        let response = try await client.send(uri: "/api/v1/models/iris/rollout", method: .post, headers: harness.headers(harness.adminToken), body: ByteBuffer(string: body))
        #expect(response.status == .created, "\(String(buffer: response.body))")
        return try harness.json(response)
    }

    /// Waits (bounded) until the candidate is loaded; until then a rollout leaves all traffic on stable.
    func waitCandidate(_ client: any TestClientProtocol) async throws {
        for _ in 0..<500 {
            if try await client.send(uri: "/v2/models/iris/versions/1.1.0/ready", method: .get).status == .ok { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("the candidate never became ready")
    }

    func rollout(_ harness: ServerHarness, _ client: any TestClientProtocol) async throws -> [String: Any] {
        try harness.json(try await client.send(uri: "/api/v1/models/iris/rollout", method: .get, headers: harness.headers(harness.adminToken)))
    }

    /// Sends requests until `done` (bounded); returns the versions that answered and the failures.
    func drive(_ harness: ServerHarness, _ client: any TestClientProtocol, headers: HTTPFields = [:], until done: () async throws -> Bool) async throws -> (versions: [String], failures: Int) {
        var versions: [String] = []
        var failures = 0
        for round in 0..<3000 {
            let response = try await client.send(uri: "/v2/models/iris/infer", method: .post, headers: headers, body: ByteBuffer(string: InferenceAPITests.request))
            if response.status == .ok, let version = try harness.json(response)["model_version"] as? String { versions.append(version) } else { failures += 1 }
            if round % 10 == 9, try await done() { break }
            if round % 10 == 9 { try await Task.sleep(for: .milliseconds(10)) }
        }
        return (versions, failures)
    }

    @Test("a good candidate goes through every step and is promoted: production moves to it")
    func promotes() async throws {
        try await ServerHarness.run { harness, client in
            try await prepare(harness, client)
            let started = try await start(harness, client, #"{"candidate": "1.1.0", "steps": [50, 100], "interval_seconds": 1, "min_requests": 5, "max_error_rate": 0.5}"#)
            #expect(started["phase"] as? String == "progressing")
            #expect(started["weight"] as? Int == 50)
            try await waitCandidate(client)
            let (versions, failures) = try await drive(harness, client) { try await rollout(harness, client)["phase"] as? String == "promoted" }
            #expect(failures == 0)
            #expect(Set(versions).isSuperset(of: ["1.0.0", "1.1.0"]))  // both served during the split
            let final = try await rollout(harness, client)
            #expect(final["phase"] as? String == "promoted")
            let windows = final["windows"] as? [[String: String]] ?? []
            #expect(windows.contains { $0["verdict"] == "passed" })
            // Each version's numbers over the last judged window: stable's beside the candidate's.
            let rows = final["versions"] as? [[String: Any]] ?? []
            let lastWindows = rows.compactMap { $0["last_window"] as? [String: Any] }
            #expect(lastWindows.count == 2, "\(rows)")
            #expect(lastWindows.allSatisfy { $0["requests"] as? Int != nil && $0["error_rate"] as? Double != nil })
            #expect(lastWindows.contains { ($0["requests"] as? Int ?? 0) > 0 && $0["p99_ms"] as? Double != nil })

            let production = try harness.json(try await client.send(uri: "/api/v1/models/iris/aliases/production", method: .get, headers: harness.headers(harness.adminToken)))
            #expect(production["version"] as? String == "1.1.0")
            let events = String(buffer: try await client.send(uri: "/api/v1/events", method: .get, headers: harness.headers(harness.adminToken)).body)
            #expect(events.contains("rollout.started") && events.contains("rollout.promoted"))
        }
    }

    @Test("a candidate that fails its windows is aborted: all traffic back to stable, no caller sees an error")
    func abortsAutomatically() async throws {
        try await ServerHarness.run { harness, client in
            try await prepare(harness, client)
            // A p99 limit of one nanosecond fails every window that has enough requests.
            _ = try await start(harness, client, #"{"candidate": "1.1.0", "steps": [50, 100], "interval_seconds": 0.3, "min_requests": 5, "max_p99_ms": 0.000001, "failure_limit": 1}"#)
            let (_, failures) = try await drive(harness, client) { try await rollout(harness, client)["phase"] as? String == "aborted" }
            #expect(failures == 0)
            let final = try await rollout(harness, client)
            #expect(final["phase"] as? String == "aborted")
            #expect(final["weight"] as? Int == 0)
            var sent = 0
            let after = try await drive(harness, client) {
                sent += 1
                return sent >= 5
            }
            #expect(after.failures == 0)
            #expect(Set(after.versions) == ["1.0.0"])
            let production = try harness.json(try await client.send(uri: "/api/v1/models/iris/aliases/production", method: .get, headers: harness.headers(harness.adminToken)))
            #expect(production["version"] as? String == "1.0.0")
        }
    }

    @Test("low traffic holds the step as inconclusive; a header match always reaches the candidate; pause, resume, rollback")
    func inconclusiveHeaderAndCommands() async throws {
        try await ServerHarness.run { harness, client in
            try await prepare(harness, client)
            _ = try await start(harness, client, #"{"candidate": "1.1.0", "steps": [1, 100], "interval_seconds": 0.2, "min_requests": 100000, "match": "x-variant=candidate"}"#)
            try await waitCandidate(client)
            var matched = HTTPFields()
            matched[HTTPField.Name("x-variant")!] = "candidate"
            var rounds = 0
            let (versions, failures) = try await drive(harness, client, headers: matched) {
                rounds += 1
                return rounds >= 5
            }
            #expect(failures == 0)
            #expect(Set(versions) == ["1.1.0"])
            // Windows of 0.2 s are judged while the traffic stays below min_requests: wait for two verdicts.
            try await waitUntil("two windows are judged") { (try await rollout(harness, client)["windows"] as? [[String: String]] ?? []).count >= 2 }
            let held = try await rollout(harness, client)
            #expect(held["phase"] as? String == "progressing")
            #expect(held["weight"] as? Int == 1)
            let windows = held["windows"] as? [[String: String]] ?? []
            #expect(!windows.isEmpty && windows.allSatisfy { $0["verdict"] == "inconclusive" })

            let auth = harness.headers(harness.adminToken)
            let paused = try harness.json(try await client.send(uri: "/api/v1/models/iris/rollout/pause", method: .post, headers: auth))
            #expect(paused["phase"] as? String == "paused")
            let resumed = try harness.json(try await client.send(uri: "/api/v1/models/iris/rollout/resume", method: .post, headers: auth))
            #expect(resumed["phase"] as? String == "progressing")
            let rolledBack = try harness.json(try await client.send(uri: "/api/v1/models/iris/rollout/rollback", method: .post, headers: auth, body: ByteBuffer(string: #"{"reason": "pager"}"#)))
            #expect(rolledBack["phase"] as? String == "rolled_back")
            var sent = 0
            let after = try await drive(harness, client, headers: matched) {
                sent += 1
                return sent >= 3
            }
            #expect(Set(after.versions) == ["1.0.0"])  // the header no longer routes once rolled back
            let again = try await client.send(uri: "/api/v1/models/iris/rollout/abort", method: .post, headers: auth)
            #expect(again.status == .notFound)
            let bad = try await client.send(uri: "/api/v1/models/iris/rollout", method: .post, headers: auth, body: ByteBuffer(string: #"{"candidate": "1.1.0", "steps": [50, 25]}"#))
            #expect(bad.status == .badRequest)
            #expect(String(buffer: bad.body).contains("increasing"))
            for (body, message) in [
                (#"{"candidate": "1.1.0", "match": "no-equals-sign"}"#, "must be HEADER=VALUE"),
                (#"{"candidate": "1.1.0", "match": "x=1", "match_kind": "fuzzy"}"#, "exact, prefix or regex"),
                (#"{"candidate": "1.1.0", "interval_seconds": "soon"}"#, "interval_seconds must be a number"),
                (#"{"candidate": "1.1.0", "shadow": 150}"#, "shadow is a percentage from 0 to 100"),
                (#"{"candidate": "one"}"#, "'one' is not a semantic version"),
            ] {
                let refused = try await client.send(uri: "/api/v1/models/iris/rollout", method: .post, headers: auth, body: ByteBuffer(string: body))
                #expect(refused.status == .badRequest, "\(body): \(String(buffer: refused.body))")
                #expect(String(buffer: refused.body).contains(message), "\(body): \(String(buffer: refused.body))")
            }
        }
    }
}

extension RolloutAPITests {
    @Test("shadow mirrors stable's requests to the candidate, records agreement, and never changes a caller's answer")
    func shadow() async throws {
        try await ServerHarness.run { harness, client in
            try await prepare(harness, client)
            // Responses are written in a fixed order, so stable's answer is the same bytes each time.
            let expected = String(buffer: try await client.send(uri: "/v2/models/iris/versions/1.0.0/infer", method: .post, body: ByteBuffer(string: InferenceAPITests.request)).body)
            // Windows of 1 s that low traffic keeps inconclusive, so the step holds while each window is measured.
            _ = try await start(harness, client, #"{"candidate": "1.1.0", "steps": [1, 100], "interval_seconds": 1, "min_requests": 100000, "shadow": 100}"#)
            try await waitCandidate(client)
            var fromStable = 0
            for _ in 0..<60 {
                let response = try await client.send(uri: "/v2/models/iris/infer", method: .post, body: ByteBuffer(string: InferenceAPITests.request))
                let answer = try harness.json(response)
                if answer["model_version"] as? String == "1.0.0" {
                    fromStable += 1
                    #expect(String(buffer: response.body) == expected)  // the caller's answer is stable's
                }
            }
            #expect(fromStable > 40)
            var shadow: [String: Any]?
            for _ in 0..<100 where (shadow?["compared"] as? Int ?? 0) < fromStable {
                shadow = try await rollout(harness, client)["shadow"] as? [String: Any]
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect((shadow?["compared"] as? Int ?? 0) >= fromStable)
            #expect(shadow?["top1_agreement"] as? Double != nil)
            #expect((shadow?["max_abs_diff"] as? Double ?? 0) > 0)  // an MLP and a logistic regression do not agree exactly
            // Latency percentiles per version, for status.
            let versions = try await rollout(harness, client)["versions"] as? [[String: Any]] ?? []
            #expect(versions.count == 2)
            #expect(versions.allSatisfy { ($0["p50_ms"] as? Double ?? 0) > 0 || $0["last_window"] != nil })
            // Agreement is judged per window: the candidate's last window counts only what it mirrored.
            var window: [String: Any]?
            for _ in 0..<150 where window?["shadow_compared"] == nil {
                let rows = try await rollout(harness, client)["versions"] as? [[String: Any]] ?? []
                window = rows.first { $0["version"] as? String == "1.1.0" }?["last_window"] as? [String: Any]
                if window?["shadow_compared"] == nil {
                    _ = try await client.send(uri: "/v2/models/iris/infer", method: .post, body: ByteBuffer(string: InferenceAPITests.request))
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            let compared = window?["shadow_compared"] as? Int ?? 0
            #expect(compared > 0, "\(window ?? [:])")
            #expect(window?["shadow_top1_agreement"] as? Double != nil)
        }
    }
}
