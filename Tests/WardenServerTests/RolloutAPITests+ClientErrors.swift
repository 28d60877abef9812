import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import WardenCore
import WardenServer
import WardenTestSupport

/// Issue 16 B and E: client errors, 0% steps for shadow and header tests, per-rollout counters, readable plans.
extension RolloutAPITests {
    /// A request the server refuses as the client's fault: three features where the model takes four.
    static let wrongShape = #"{"inputs":[{"name":"input","shape":[1,3],"datatype":"FP32","data":[5.1,3.5,1.4]}]}"#

    /// Sends a good and a wrong-shape request in turn until `done` (bounded); returns the
    /// good requests that failed and how many wrong-shape ones were refused with 400.
    func driveWithClientErrors(_ harness: ServerHarness, _ client: any TestClientProtocol, until done: () async throws -> Bool) async throws -> (failures: Int, refused: Int) {
        var failures = 0, refused = 0
        for round in 0..<3000 {
            if try await client.send(uri: "/v2/models/iris/infer", method: .post, body: ByteBuffer(string: InferenceAPITests.request)).status != .ok { failures += 1 }
            let bad = try await client.send(uri: "/v2/models/iris/infer", method: .post, body: ByteBuffer(string: Self.wrongShape))
            if bad.status == .badRequest { refused += 1 }
            if round % 5 == 4, try await done() { break }
            if round % 5 == 4 { try await Task.sleep(for: .milliseconds(10)) }
        }
        return (failures, refused)
    }

    @Test("requests refused as the client's fault (400) do not fail a healthy candidate; status shows them apart; counting them is a plan option")
    func clientErrorsDoNotAbort() async throws {
        try await ServerHarness.run { harness, client in
            try await prepare(harness, client)
            _ = try await start(harness, client, #"{"candidate": "1.1.0", "steps": [50, 100], "interval_seconds": 0.5, "min_requests": 5, "max_error_rate": 0.01}"#)
            try await waitCandidate(client)
            let (failures, refused) = try await driveWithClientErrors(harness, client) {
                let phase = try await rollout(harness, client)["phase"] as? String
                return phase == "promoted" || phase == "aborted"
            }
            #expect(failures == 0)
            #expect(refused > 10)
            let final = try await rollout(harness, client)
            #expect(final["phase"] as? String == "promoted", "\(final["windows"] ?? "")")
            let rows = final["versions"] as? [[String: Any]] ?? []
            let candidate = rows.first { $0["version"] as? String == "1.1.0" }
            #expect((candidate?["client_errors"] as? Int ?? 0) > 0, "\(rows)")
            #expect(candidate?["errors"] as? Int == 0, "\(rows)")
            let window = candidate?["last_window"] as? [String: Any]
            #expect(window?["client_errors"] as? Int != nil, "\(rows)")
            #expect((final["plan"] as? [String: Any])?["count_client_errors"] as? Bool == false)
        }
        // The same traffic with client errors counted fails every window: the plan option works.
        try await ServerHarness.run { harness, client in
            try await prepare(harness, client)
            _ = try await start(harness, client, #"{"candidate": "1.1.0", "steps": [50, 100], "interval_seconds": 0.5, "min_requests": 5, "max_error_rate": 0.01, "failure_limit": 1, "count_client_errors": true}"#)
            try await waitCandidate(client)
            _ = try await driveWithClientErrors(harness, client) {
                let phase = try await rollout(harness, client)["phase"] as? String
                return phase == "promoted" || phase == "aborted"
            }
            let final = try await rollout(harness, client)
            #expect(final["phase"] as? String == "aborted")
            #expect((final["windows"] as? [[String: String]] ?? []).contains { $0["reason"]?.contains("error rate") == true })
        }
    }

    @Test("a pure shadow test starts at 0%: callers all get stable while the candidate is compared; 0% without shadow or a header match is refused")
    func zeroPercentShadow() async throws {
        try await ServerHarness.run { harness, client in
            try await prepare(harness, client)
            let auth = harness.headers(harness.adminToken)
            let refused = try await client.send(uri: "/api/v1/models/iris/rollout", method: .post, headers: auth, body: ByteBuffer(string: #"{"candidate": "1.1.0", "steps": [0, 100]}"#))
            #expect(refused.status == .badRequest)
            #expect(String(buffer: refused.body).contains("0 is for a shadow test"), "\(String(buffer: refused.body))")

            let started = try await start(harness, client, #"{"candidate": "1.1.0", "steps": [0, 100], "interval_seconds": 1, "min_requests": 100000, "shadow": 100}"#)
            #expect(started["weight"] as? Int == 0)
            try await waitCandidate(client)
            var versions = Set<String>()
            for _ in 0..<40 {
                let answer = try harness.json(try await client.send(uri: "/v2/models/iris/infer", method: .post, body: ByteBuffer(string: InferenceAPITests.request)))
                versions.insert(answer["model_version"] as? String ?? "?")
            }
            #expect(versions == ["1.0.0"])
            var compared = 0
            for _ in 0..<200 where compared < 40 {
                compared = (try await rollout(harness, client)["shadow"] as? [String: Any])?["compared"] as? Int ?? 0
                if compared < 40 { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(compared >= 40)
        }
    }

    @Test("a new rollout's status counts its own requests, not the previous rollout's; the stored plan is plain JSON")
    func countersStartWithEachRollout() async throws {
        try await ServerHarness.run { harness, client in
            try await prepare(harness, client)
            let auth = harness.headers(harness.adminToken)
            _ = try await start(harness, client, #"{"candidate": "1.1.0", "steps": [50, 100], "interval_seconds": 30, "min_requests": 5}"#)
            try await waitCandidate(client)
            var sent = 0
            let first = try await drive(harness, client) {
                sent += 1
                return sent >= 3
            }
            #expect(first.failures == 0)
            let during = try await rollout(harness, client)["versions"] as? [[String: Any]] ?? []
            #expect(during.map { $0["requests"] as? Int ?? 0 }.reduce(0, +) >= 30, "\(during)")
            let aborted = try await client.send(uri: "/api/v1/models/iris/rollout/abort", method: .post, headers: auth)
            #expect(aborted.status == .ok)

            _ = try await start(harness, client, #"{"candidate": "1.1.0", "steps": [50, 100], "interval_seconds": 30, "min_requests": 5}"#)
            let fresh = try await rollout(harness, client)["versions"] as? [[String: Any]] ?? []
            #expect(fresh.count == 2)
            #expect(fresh.allSatisfy { $0["requests"] as? Int == 0 && $0["errors"] as? Int == 0 }, "\(fresh)")

            // Events and the audit log hold the plan as an object with the interval in seconds.
            let events = String(buffer: try await client.send(uri: "/api/v1/events", method: .get, headers: auth).body)
            #expect(events.contains(#""intervalSeconds":30"#), "\(events)")
            #expect(!events.contains(#"\"interval\""#) && !events.contains(#""interval":["#), "\(events)")
        }
    }
}
