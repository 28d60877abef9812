import Foundation
import Testing

/// A rollout as users run one: `warden serve`, `warden push`, `warden rollout start` and
/// `warden rollout status`, with real inference traffic over loopback.
@Suite("Rollouts from the command line")
struct RolloutCLITests {
    static let request = #"{"inputs":[{"name":"input","shape":[2,4],"datatype":"FP32","data":[[5.1,3.5,1.4,0.2],[6.7,3.0,5.2,2.3]]}]}"#

    @Test("a candidate that fails its windows is aborted automatically: production stays on stable, no caller sees an error, and status says why")
    func automaticAbort() throws {
        let workspace = try makeWorkspace()
        defer { try? FileManager.default.removeItem(atPath: workspace) }
        for (model, fixture) in [("one", "mlp-1layer.onnx"), ("two", "mlp-2layer.onnx")] {
            try FileManager.default.createDirectory(atPath: "\(workspace)/\(model)", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "\(AccessControlCLITests.fixtures)/\(fixture)", toPath: "\(workspace)/\(model)/model.onnx")
        }
        #expect(try WardenProcess.run(["keygen", "--out", "ci"], in: workspace).status == 0)
        try FileManager.default.createDirectory(atPath: "\(workspace)/data/trust", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "\(workspace)/ci.pub", toPath: "\(workspace)/data/trust/ci.pub")
        let server = try ServerProcess(data: "\(workspace)/data")
        let token = try String(contentsOfFile: "\(workspace)/data/admin.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        func warden(_ arguments: String...) throws -> WardenProcess.Output {
            try WardenProcess.run(arguments + ["--server", server.url, "--token", token], in: workspace)
        }
        for (path, version) in [("one", "1.0.0"), ("two", "1.1.0")] {
            let pushed = try warden("push", path, "--name", "iris", "--version", version, "--sign", "ci.key")
            #expect(pushed.status == 0, "\(pushed.stderr)")
            if version == "1.0.0" { #expect(try warden("alias", "set", "iris", "production", "1.0.0").status == 0) }
        }
        try pollUntil("iris@1.0.0 is served") { try httpExchange(port: server.port, "GET", "/v2/models/iris/ready").status == 200 }

        // A p99 limit of one nanosecond fails every window with enough requests: the candidate is slow by this measure.
        let started = try warden("rollout", "start", "iris", "--to", "1.1.0", "--steps", "50,100", "--interval", "300ms", "--min-requests", "5", "--max-p99-ms", "0.000001", "--failure-limit", "1")
        #expect(started.status == 0, "\(started.stderr)")

        var answeredBy: [String: Int] = [:]
        var failures: [String] = []
        var phase = ""
        let deadline = Date().addingTimeInterval(120)
        while phase != "aborted", Date() < deadline {
            for _ in 0..<10 {
                let response = try httpExchange(port: server.port, "POST", "/v2/models/iris/infer", body: Self.request)
                let object = try? JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any]
                if response.status == 200, let version = object?["model_version"] as? String {
                    answeredBy[version, default: 0] += 1
                } else {
                    failures.append("\(response.status) \(response.body)")
                }
            }
            let status = try warden("rollout", "status", "iris", "--json")
            phase = (try? JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])?["phase"] as? String ?? ""
        }
        #expect(phase == "aborted", "the rollout is \(phase) after 120 s of traffic")
        #expect(failures.isEmpty, "callers saw errors: \(failures.prefix(3))")
        #expect((answeredBy["1.1.0"] ?? 0) > 0, "the candidate never took traffic: \(answeredBy)")

        // Status says why, production never moved, and all traffic is back on stable.
        let status = try warden("rollout", "status", "iris")
        #expect(status.status == 0 && status.stdout.contains("aborted"), "\(status.stdout)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(try warden("rollout", "status", "iris", "--json").stdout.utf8)) as? [String: Any])
        let windows = json["windows"] as? [[String: String]] ?? []
        #expect(windows.contains { $0["verdict"] == "failed" && ($0["reason"] ?? "").contains("p99") }, "\(windows)")
        #expect(try warden("alias", "get", "iris", "production").stdout == "1.0.0\n")
        for _ in 0..<10 {
            let response = try httpExchange(port: server.port, "POST", "/v2/models/iris/infer", body: Self.request)
            #expect(response.status == 200 && response.body.contains(#""model_version":"1.0.0""#), "\(response.status) \(response.body)")
        }
        #expect(server.stop() == 0)
    }
}
