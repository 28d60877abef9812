import Foundation
import Testing
import WardenONNX
import WardenTensor

/// The WASM pipeline from the command line: `warden predict` on the model directory
/// and `warden infer` against `warden serve --repository`, with raw-bytes inputs.
@Suite("WASM pipelines from the command line")
struct PipelineCLITests {
    static let pipelines = ServingCLITests.fixtures + "/pipelines"

    @Test("warden predict runs pre → model → post on a file's bytes and writes BYTES outputs as text")
    func predict() throws {
        let workspace = try makeWorkspace()
        defer { try? FileManager.default.removeItem(atPath: workspace) }
        try write("5.1,3.5,1.4,0.2", to: workspace + "/line.txt")
        let result = try WardenProcess.run(["predict", Self.pipelines + "/iris-text/1", "--input", "csv=@line.txt", "--output-dir", "out"], in: workspace)
        #expect(result.status == 0, "\(result.stderr)")
        // The textbook setosa flower (make_iris.py trains the model on the real iris data).
        #expect(result.stdout.contains("labels  string [1, 2]  setosa, versicolor"), "\(result.stdout)")
        #expect(try String(contentsOfFile: workspace + "/out/labels.txt", encoding: .utf8) == "setosa\nversicolor\n")
        #expect(try TensorFile.read(workspace + "/out/scores.npy").shape == [1, 2])

        try write("5.1,3.5", to: workspace + "/short.txt")
        let rejected = try WardenProcess.run(["predict", Self.pipelines + "/iris-text/1", "--input", "csv=@short.txt"], in: workspace)
        #expect(rejected.status == 2)
        #expect(rejected.stderr.contains("rejected the input: each line must hold 4 comma-separated numbers"), "\(rejected.stderr)")

        try NumPyFile.write(Tensor(shape: [1], int64s: [100_000_000]), to: workspace + "/n.npy")
        let stuck = try WardenProcess.run(["predict", Self.pipelines + "/spin/1", "--input", "n=n.npy"], in: workspace)
        #expect(stuck.status == 2)
        #expect(stuck.stderr.contains("ran out of fuel (limit 1000000"), "\(stuck.stderr)")

        let profiled = try WardenProcess.run(["predict", Self.pipelines + "/iris-text/1", "--input", "csv=@line.txt", "--bench", "1", "--profile"], in: workspace)
        #expect(profiled.status == 2)
        #expect(profiled.stderr.contains("--profile times the nodes of an ONNX model;") && profiled.stderr.contains("runs as warden_pipeline"), "\(profiled.stderr)")

        let wrongType = try WardenProcess.run(["predict", Self.pipelines + "/spin/1", "--input", "n=@line.txt"], in: workspace)
        #expect(wrongType.status == 2)
        #expect(wrongType.stderr.contains("the input must be UINT8 or BYTES; 'n' is INT64"), "\(wrongType.stderr)")
    }

    @Test("warden infer sends a file's bytes to a served pipeline, typed by the model's metadata")
    func infer() throws {
        let workspace = try makeWorkspace()
        defer { try? FileManager.default.removeItem(atPath: workspace) }
        try FileManager.default.copyItem(atPath: Self.pipelines, toPath: workspace + "/repo")
        try FileManager.default.copyItem(atPath: ServingCLITests.fixtures + "/trust", toPath: workspace + "/trust")
        try write("6.7,3.0,5.2,2.3", to: workspace + "/line.txt")
        let server = try ServerProcess(data: workspace + "/data", arguments: ["--repository", workspace + "/repo", "--trust", workspace + "/trust"])
        var result = WardenProcess.Output(status: -1, stdout: "", stderr: "")
        for _ in 0..<100 {
            result = try WardenProcess.run(["infer", "iris-text", "--input", "csv=@line.txt", "--server", server.url, "--output-dir", "out"], in: workspace)
            if result.status == 0 { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(result.status == 0, "\(result.stderr)")
        // A textbook virginica flower.
        #expect(result.stdout.contains("labels  BYTES [1, 2]  virginica, versicolor"), "\(result.stdout)")
        #expect(try String(contentsOfFile: workspace + "/out/labels.txt", encoding: .utf8) == "virginica\nversicolor\n")
        #expect(server.stop() == 0)
    }

    @Test("a served WASM model is stopped at its fuel, memory and time limits with a message naming the limit, and the server goes on serving")
    func servedLimits() throws {
        let workspace = try makeWorkspace()
        defer { try? FileManager.default.removeItem(atPath: workspace) }
        // Three whole-WASM models: spin as committed (1,000,000 fuel), spin with fuel to spare but
        // 100 ms of time, and spin's twin that grows its memory by n pages (limit 4; the load's
        // warm-up sends n = 0, so the model loads and only a request with a large n meets the limit).
        let spin = Self.pipelines + "/spin/1"
        let card = try String(contentsOfFile: spin + "/warden.yaml", encoding: .utf8)
        for name in ["spin", "slow", "grow"] {
            try FileManager.default.createDirectory(atPath: "\(workspace)/repo/\(name)/1", withIntermediateDirectories: true)
        }
        try FileManager.default.copyItem(atPath: spin + "/spin.wat", toPath: workspace + "/repo/spin/1/spin.wat")
        try write(card, to: workspace + "/repo/spin/1/warden.yaml")
        try FileManager.default.copyItem(atPath: spin + "/spin.wat", toPath: workspace + "/repo/slow/1/spin.wat")
        try write(
            card.replacingOccurrences(of: "name: spin", with: "name: slow")
                .replacingOccurrences(of: "fuel: 1000000", with: "fuel: 5000000000")
                .replacingOccurrences(of: "timeout_ms: 2000", with: "timeout_ms: 100"),
            to: workspace + "/repo/slow/1/warden.yaml"
        )
        let wat = try String(contentsOfFile: spin + "/spin.wat", encoding: .utf8)
        let loop = try #require(wat.range(of: "    (if (i64.gt_s (local.get $n) (i64.const 0))"))
        let store = try #require(wat.range(of: "    (i64.store (i32.const 288) (local.get $acc))"))
        try write(wat.replacingCharacters(in: loop.lowerBound..<store.upperBound, with: """
                (drop (memory.grow (i32.wrap_i64 (local.get $n))))
                (i64.store (i32.const 288) (local.get $n))
            """), to: workspace + "/repo/grow/1/grow.wat")
        try write(
            card.replacingOccurrences(of: "name: spin", with: "name: grow").replacingOccurrences(of: "max_memory_pages: 2", with: "max_memory_pages: 4"),
            to: workspace + "/repo/grow/1/warden.yaml"
        )
        #expect(try WardenProcess.run(["keygen", "--out", "trust/ops"], in: workspace).status == 0)
        try FileManager.default.moveItem(atPath: workspace + "/trust/ops.key", toPath: workspace + "/ops.key")
        for name in ["spin", "slow", "grow"] {
            let signed = try WardenProcess.run(["sign", "repo/\(name)/1", "--key", "ops.key", "--signature", "repo/\(name)/1/model.sig"], in: workspace)
            #expect(signed.status == 0, "\(signed.stderr)")
        }
        let server = try ServerProcess(data: workspace + "/data", arguments: ["--repository", workspace + "/repo", "--trust", workspace + "/trust"])
        try pollUntil("the three models are served") {
            try ["spin", "slow", "grow"].allSatisfy { try httpExchange(port: server.port, "GET", "/v2/models/\($0)/ready").status == 200 }
        }
        func infer(_ model: String, _ n: Int64) throws -> WardenProcess.Output {
            try NumPyFile.write(Tensor(shape: [1], int64s: [n]), to: workspace + "/n.npy")
            return try WardenProcess.run(["infer", model, "--input", "n=n.npy", "--server", server.url, "--output-dir", "out-\(model)-\(n)"], in: workspace)
        }
        func answer(_ model: String, _ n: Int64) throws -> [Int64] {
            let output = try infer(model, n)
            #expect(output.status == 0, "\(model) n=\(n): \(output.stderr)")
            return try TensorFile.read(workspace + "/out-\(model)-\(n)/sum.npy").int64s
        }
        #expect(try answer("spin", 10) == [Int64(PipelineCLITests.spin(10))])

        let fuel = try infer("spin", 100_000_000)
        #expect(fuel.status == 2)
        #expect(fuel.stderr.contains("spin.wat ran out of fuel (limit 1000000 instructions per call, sandbox.fuel)"), "\(fuel.stderr)")

        // 10^15 iterations would run for days: the watchdog must stop the call, and soon.
        let started = Date()
        let time = try infer("slow", 1_000_000_000_000_000)
        let took = Date().timeIntervalSince(started)
        #expect(time.status == 2)
        #expect(time.stderr.contains("ran past its 100 ms timeout (sandbox.timeout_ms) and was stopped"), "\(time.stderr)")
        #expect(took < 30, "the call that should stop at 100 ms took \(took) s")

        #expect(try answer("grow", 2) == [2])
        let memory = try infer("grow", 10)
        #expect(memory.status == 2)
        #expect(memory.stderr.contains("grow.wat tried to grow its memory to 1"), "\(memory.stderr)")  // 11 or 13 pages: 10 more than it had
        #expect(memory.stderr.contains("pages; the limit is 4 pages (sandbox.max_memory_pages)") || memory.stderr.contains("KiB); the limit is 4 pages (sandbox.max_memory_pages)"), "\(memory.stderr)")

        // Each model goes on answering after its failure.
        #expect(try answer("spin", 1000) == [Int64(PipelineCLITests.spin(1000))])
        #expect(try answer("slow", 1000) == [Int64(PipelineCLITests.spin(1000))])
        #expect(try answer("grow", 1) == [1])
        let metrics = try httpExchange(port: server.port, "GET", "/metrics").body
        for (model, reason) in [("spin", "fuel"), ("slow", "timeout"), ("grow", "memory")] {
            #expect(metrics.contains(#"warden_sandbox_failures_total{model="\#(model)",version="1",stage="model",reason="\#(reason)"} 1"#), "\(model): \(reason)")
        }
        #expect(server.stop() == 0)
    }

    /// What spin.wat computes: the sum over i < n of (i*i) xor (i >> 3), wrapping.
    static func spin(_ n: Int) -> Int {
        var sum: Int64 = 0
        for i in 0..<Int64(n) { sum &+= (i &* i) ^ (i >> 3) }
        return Int(sum)
    }
}
