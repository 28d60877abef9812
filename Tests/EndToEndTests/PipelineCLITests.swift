import Foundation
import Testing
import WardenONNX

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

        try TensorFile.writeNumPy(Tensor(shape: [1], int64s: [100_000_000]), to: workspace + "/n.npy")
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
}
