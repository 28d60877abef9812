import Foundation
import Testing
import WardenONNX
import WardenRuntime
import WardenTensor

#if canImport(Glibc)
import Glibc
#endif

/// `warden serve --repository` and `warden infer` as real processes on loopback.
@Suite("Serving from the command line")
struct ServingCLITests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("WardenServingTests/Fixtures").path

    /// A repository with iris/1 (no batching, so one request may be large), signed with a fresh key.
    func repository() throws -> String {
        let workspace = try makeWorkspace()
        try FileManager.default.createDirectory(atPath: workspace + "/repo/iris", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.fixtures + "/repository/iris/1", toPath: workspace + "/repo/iris/1")
        try FileManager.default.removeItem(atPath: workspace + "/repo/iris/1/model.sig")
        try write("name: iris\n", to: workspace + "/repo/iris/1/warden.yaml")
        try WardenProcess.run(["keygen", "--out", "trust/ops"], in: workspace)
        try FileManager.default.moveItem(atPath: workspace + "/trust/ops.key", toPath: workspace + "/ops.key")
        let signed = try WardenProcess.run(["sign", "repo/iris/1", "--key", "ops.key", "--signature", "repo/iris/1/model.sig"], in: workspace)
        #expect(signed.status == 0, "\(signed.stderr)")
        return workspace
    }

    @Test("warden infer calls a served model with .npy inputs and saves the outputs")
    func infer() throws {
        let workspace = try repository()
        defer { try? FileManager.default.removeItem(atPath: workspace) }
        let server = try ServerProcess(data: workspace + "/data", arguments: ["--repository", workspace + "/repo", "--trust", workspace + "/trust"])
        try NumPyFile.write(Tensor(shape: [2, 4], floats: [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3]), to: workspace + "/x.npy")
        var result = WardenProcess.Output(status: -1, stdout: "", stderr: "")
        for _ in 0..<100 {
            result = try WardenProcess.run(["infer", "iris", "--input", "input=x.npy", "--server", server.url, "--output-dir", "out"], in: workspace)
            if result.status == 0 { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("iris@1"))
        #expect(result.stdout.contains("probabilities  FP32 [2, 3]"))
        let saved = try TensorFile.read(workspace + "/out/probabilities.npy")
        #expect(saved.shape == [2, 3])
        // The values, not only the shape: what the same model computes in this process. (This
        // fixture model calls both rows setosa; only the first, the textbook setosa sample, is.)
        let local = try Executor(model: ONNXModel(contentsOf: workspace + "/repo/iris/1/model.onnx"))
            .run(["input": Tensor(shape: [2, 4], floats: [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3])])
        let expected = try #require(local["probabilities"]).floats
        #expect(saved.floats.count == 6)
        for (have, want) in zip(saved.floats, expected) { #expect(abs(have - want) <= 1e-5, "\(saved.floats) vs \(expected)") }
        let rows = [Array(saved.floats.prefix(3)), Array(saved.floats.dropFirst(3))]
        #expect(rows[0].firstIndex(of: rows[0].max()!) == 0 && rows[0][0] > 0.9, "\(saved.floats)")
        #expect(rows.allSatisfy { abs($0.reduce(0, +) - 1) < 1e-4 }, "\(saved.floats)")

        let missing = try WardenProcess.run(["infer", "nope", "--input", "input=x.npy", "--server", server.url], in: workspace)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no model named 'nope'"))
        #expect(server.stop() == 0)
    }

    /// Sends `bytes` on a fresh connection and reads until the server closes it.
    func exchange(port: Int, _ bytes: [UInt8]) throws -> [UInt8] {
        let fd = try sendRaw(port: port, bytes)
        defer { close(fd) }
        return readAll(fd)
    }

    func readAll(_ fd: Int32) -> [UInt8] {
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        for _ in 0..<100_000 {
            let count = read(fd, &buffer, buffer.count)
            if count <= 0 { break }
            response += buffer[0..<count]
        }
        return response
    }

    @Test("SIGTERM finishes the request in flight before the server exits")
    func gracefulShutdown() throws {
        let workspace = try repository()
        defer { try? FileManager.default.removeItem(atPath: workspace) }
        let server = try ServerProcess(data: workspace + "/data", arguments: ["--repository", workspace + "/repo", "--trust", workspace + "/trust"])
        let probe = Array("GET /v2/health/ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        for _ in 0..<200 {
            if String(decoding: try exchange(port: server.port, probe).prefix(12), as: UTF8.self) == "HTTP/1.1 200" { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        // The request is in flight when SIGTERM arrives: its headers and half its body are sent, the rest after.
        let rows = 10_000
        let header = Array(#"{"inputs":[{"name":"input","shape":[\#(rows),4],"datatype":"FP32","parameters":{"binary_data_size":\#(rows * 16)}}],"outputs":[{"name":"label","parameters":{"binary_data":true}}]}"#.utf8)
        let values = [Float](repeating: 0.5, count: rows * 4).withUnsafeBytes { Array($0) }
        let request = Array("POST /v2/models/iris/infer HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nInference-Header-Content-Length: \(header.count)\r\nContent-Length: \(header.count + values.count)\r\n\r\n".utf8) + header + values
        let half = request.count / 2
        let fd = try sendRaw(port: server.port, Array(request[..<half]))
        defer { close(fd) }
        Thread.sleep(forTimeInterval: 0.3)
        server.process.terminate()
        // SIGTERM has been handled once the listener is closed: a new connection is refused.
        try pollUntil("the server stops accepting connections") {
            guard let probe = try? sendRaw(port: server.port, []) else { return true }
            close(probe)
            return false
        }
        #expect(server.process.isRunning)  // still waiting for the request in flight
        _ = request[half...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let response = readAll(fd)
        let status = String(decoding: response.prefix(12), as: UTF8.self)
        #expect(status == "HTTP/1.1 200", "\(String(decoding: response.prefix(300), as: UTF8.self))")
        #expect(response.count > rows * 8)  // the whole int64 label output arrived
        #expect(server.stop() == 0)
    }
}

extension ServingCLITests {
    @Test("serve and infer refuse options that do not go together, saying what to pass")
    func optionErrors() throws {
        let workspace = try makeWorkspace()
        defer { try? FileManager.default.removeItem(atPath: workspace) }
        let serve = try WardenProcess.run(["serve", "--model-control-mode", "poll"], in: workspace)
        #expect(serve.status == 2)
        #expect(serve.stderr.contains("go with --repository DIR"))
        let mode = try WardenProcess.run(["serve", "--repository", ".", "--model-control-mode", "sometimes"], in: workspace)
        #expect(mode.status == 2 && mode.stderr.contains("must be none, poll or explicit"))
        let infer = try WardenProcess.run(["infer", "iris"], in: workspace)
        #expect(infer.status == 2 && infer.stderr.contains("--input NAME=FILE, or a request body with --json FILE"))
        let pair = try WardenProcess.run(["infer", "iris", "--input", "x.npy"], in: workspace)
        #expect(pair.status == 2 && pair.stderr.contains("--input takes NAME=FILE"))
        for (flag, value, message) in [
            ("--wasm-max-fuel", "0", "--wasm-max-fuel must be a positive number of instructions"),
            ("--wasm-max-memory-pages", "70000", "--wasm-max-memory-pages must be from 1 to 65536"),
            ("--wasm-max-timeout-ms", "-1", "--wasm-max-timeout-ms must be a positive number of milliseconds"),
        ] {
            let wasm = try WardenProcess.run(["serve", "\(flag)=\(value)"], in: workspace)
            #expect(wasm.status == 2 && wasm.stderr.contains(message), "\(flag): \(wasm.stderr)")
        }
        let missing = try WardenProcess.run(["predict", Self.fixtures + "/pipelines/iris-text/1", "--input", "csv=@nope.txt"], in: workspace)
        #expect(missing.status == 2 && missing.stderr.contains("cannot read 'nope.txt'"), "\(missing.stderr)")
    }
}
