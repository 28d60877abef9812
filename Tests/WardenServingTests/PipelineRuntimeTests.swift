import Foundation
import Testing
import WardenCore
import WardenModel
import WardenTestSupport
@testable import WardenServing

/// What `PipelineRuntime.make` refuses when it builds a model's runtime, each with the user's error.
@Suite struct PipelineRuntimeTests {
    static let modules = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("WardenSandboxTests/Modules").path

    /// A wasm model directory with the given modules (copied from the test modules) and card.
    static func model(_ modules: [String: String], card: String) throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory("warden-wasm-model")
        for (file, module) in modules {
            try FileManager.default.copyItem(atPath: "\(Self.modules)/\(module).wat", toPath: directory.file(file))
        }
        try directory.write("warden.yaml", card)
        return directory
    }

    static let io = "inputs:\n  - {name: n, dtype: int64, shape: [1]}\noutputs:\n  - {name: sum, dtype: int64, shape: [1]}\n"

    @Test func aWasmModelIsOneModule() throws {
        let good = try Self.model(["spin.wat": "spin"], card: "format: wasm\n" + Self.io)
        defer { good.remove() }
        let runtime = try PipelineRuntime.make(for: ModelDescription(contentsOf: good.path))
        #expect(runtime.platform == "warden_wasm")

        let two = try Self.model(["spin.wat": "spin", "other.wat": "identity"], card: "format: wasm\n" + Self.io)
        defer { two.remove() }
        expectWardenError(.invalidModel, containing: "holds several modules (other.wat, spin.wat); a wasm model is one .wasm or .wat file") {
            _ = try PipelineRuntime.make(for: ModelDescription(contentsOf: two.path))
        }
        let around = try Self.model(["spin.wat": "spin", "pre.wat": "identity"], card: "format: wasm\npreprocess: pre.wat\n" + Self.io)
        defer { around.remove() }
        expectWardenError(.invalidCard, containing: "a wasm model does its own pre- and postprocessing") {
            _ = try PipelineRuntime.make(for: ModelDescription(contentsOf: around.path))
        }
    }

    @Test func sandboxValuesInTheCardAreChecked() throws {
        for (sandbox, message) in [
            ("sandbox: {fuel: lots}", "sandbox.fuel: must be a whole number"),
            ("sandbox: {reuse_instances: 1}", "sandbox.reuse_instances: must be true or false"),
            ("sandbox: {timeout_ms: 20000}", "sandbox.timeout_ms: 20000 is above this server's cap of 10000"),
        ] {
            let directory = try Self.model(["spin.wat": "spin"], card: "format: wasm\n\(sandbox)\n" + Self.io)
            defer { directory.remove() }
            expectWardenError(.invalidCard, containing: message) {
                _ = try PipelineRuntime.make(for: ModelDescription(contentsOf: directory.path))
            }
        }
        let off = try Self.model(["spin.wat": "spin"], card: "format: wasm\nsandbox: {reuse_instances: false, fuel: 5000}\n" + Self.io)
        defer { off.remove() }
        #expect(try PipelineRuntime.make(for: ModelDescription(contentsOf: off.path)).platform == "warden_wasm")
    }
}
