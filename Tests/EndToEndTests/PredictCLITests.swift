import Foundation
import Testing
import WardenTensor

/// `warden predict --bench` and `--profile` on a real exported model.
@Suite("warden predict benchmarks")
struct PredictCLITests {
    static let mlp = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("WardenModelTests/Fixtures/sklearn/mlp-2layer.onnx").path

    @Test("--bench N times N runs and reports the thread count; --profile adds the time per op and per node")
    func benchAndProfile() throws {
        let workspace = try makeWorkspace()
        defer { try? FileManager.default.removeItem(atPath: workspace) }
        try NumPyFile.write(Tensor(shape: [2, 4], floats: [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3]), to: workspace + "/x.npy")

        let timed = try WardenProcess.run(["predict", Self.mlp, "--input", "input=x.npy", "--bench", "5", "--threads", "1", "--json"], in: workspace)
        #expect(timed.status == 0, "\(timed.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(timed.stdout.utf8)) as? [String: Any])
        let bench = try #require(object["bench"] as? [String: Any])
        #expect(bench["runs"] as? Int == 5 && bench["threads"] as? Int == 1)
        let (low, middle, high) = (try #require(bench["min_ms"] as? Double), try #require(bench["median_ms"] as? Double), try #require(bench["p99_ms"] as? Double))
        #expect(low > 0 && low <= middle && middle <= high)

        let profiled = try WardenProcess.run(["predict", Self.mlp, "--input", "input=x.npy", "--bench", "5", "--profile"], in: workspace)
        #expect(profiled.status == 0, "\(profiled.stderr)")
        #expect(profiled.stdout.contains("profile: time inside the nodes, per run (5 runs)"), "\(profiled.stdout)")
        #expect(profiled.stdout.contains("  MatMul ") && profiled.stdout.contains("slowest nodes"), "\(profiled.stdout)")

        let json = try WardenProcess.run(["predict", Self.mlp, "--input", "input=x.npy", "--bench", "2", "--profile", "--json"], in: workspace)
        let profile = try #require((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["profile"] as? [String: Any])
        let ops = try #require(profile["ops"] as? [[String: Any]])
        #expect(ops.contains { $0["op"] as? String == "MatMul" && $0["nodes"] as? Int == 3 })
        // One entry per node as it runs (after constant folding and fusion), each counted under its op.
        let nodes = try #require(profile["nodes"] as? [[String: Any]])
        #expect(!nodes.isEmpty && nodes.count <= 15)
        #expect(ops.reduce(0) { $0 + ($1["nodes"] as? Int ?? 0) } == nodes.count)

        let unbenched = try WardenProcess.run(["predict", Self.mlp, "--input", "input=x.npy", "--profile"], in: workspace)
        #expect(unbenched.status != 0 && unbenched.stderr.contains("--profile times the --bench runs; add --bench N"), "\(unbenched.stderr)")
    }
}
