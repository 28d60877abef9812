import Foundation
import Testing

/// `warden inspect` and `warden diff` as a user runs them, on the committed ONNX fixtures.
@Suite struct InspectDiffCLITests {
    let workspace: String

    init() throws {
        workspace = try makeWorkspace()
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("WardenONNXTests/Fixtures/models").path
        for name in ["mlp-v1.onnx", "mlp-v1-retrained.onnx", "mlp-extra-layer.onnx", "mlp-input-5.onnx", "mlp-external"] {
            try FileManager.default.copyItem(atPath: "\(fixtures)/\(name)", toPath: "\(workspace)/\(name)")
        }
    }

    func run(_ arguments: String...) throws -> WardenProcess.Output {
        try WardenProcess.run(arguments, in: workspace)
    }

    @Test func inspectReportsTheModel() throws {
        let result = try run("inspect", "mlp-v1.onnx")
        #expect(result.status == 0, "\(result.stderr)")
        for line in ["opsets      ai.onnx 17", "inputs      input  float32 [batch, 4]", "outputs     probabilities  float32 [batch, 3]",
                     "ops         4 nodes: Gemm 2, Relu 1, Softmax 1", "parameters  67 in 4 tensors, 268 B", "topology    sha256:", "weights     sha256:"] {
            #expect(result.stdout.contains(line), "missing '\(line)' in:\n\(result.stdout)")
        }
    }

    @Test func inspectJSONAndACardInTheDirectory() throws {
        try write("name: fraud\nlabels: [a, b, c]\ninputs:\n  - {name: input, dtype: float32, shape: [N, 4]}\n", to: "\(workspace)/mlp-external/warden.yaml")
        let result = try run("inspect", "mlp-external", "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let onnx = try #require(object["onnx"] as? [String: Any])
        #expect(onnx["parameter_count"] as? Int == 4 * 16 + 16 + 16 * 3 + 3)
        #expect((onnx["topology_fingerprint"] as? String)?.hasPrefix("sha256:") == true)
        #expect((object["card"] as? [String: Any])?["labels"] as? [String] == ["a", "b", "c"])
        #expect(object["model_files"] as? [String] == ["model.onnx", "weights.bin"])
    }

    @Test func inspectRejectsBadInputWithExitTwo() throws {
        try write("not a model at all", to: "\(workspace)/junk.onnx")
        let junk = try run("inspect", "junk.onnx")
        #expect(junk.status == 2)
        #expect(junk.stderr.contains("error: 'junk.onnx' is not an ONNX model"))

        try write("inputs:\n  - {name: input, dtype: float32, shape: [N, 5]}\n", to: "\(workspace)/mlp-external/warden.yaml")
        let contradiction = try run("inspect", "mlp-external", "--json")
        #expect(contradiction.status == 2)
        #expect(contradiction.stderr.contains("warden.yaml: inputs[0].shape[1]: the card says 5 but the model's input 'input' has 4 there"))
        #expect(contradiction.stdout.contains("\"code\" : \"card_contradicts_model\""))

        try write("inputs: [\n", to: "\(workspace)/mlp-external/warden.yaml")
        let yaml = try run("inspect", "mlp-external")
        #expect(yaml.status == 2)
        #expect(yaml.stderr.contains("warden.yaml is not valid YAML"))
    }

    @Test func diffSaysTheRequiredBump() throws {
        let patch = try run("diff", "mlp-v1.onnx", "mlp-v1-retrained.onnx")
        #expect(patch.status == 0, "\(patch.stderr)")
        #expect(patch.stdout.hasPrefix("required bump: PATCH\n"))
        #expect(patch.stdout.contains("~ fc1.weight  max |Δ|"))

        let minor = try run("diff", "mlp-v1.onnx", "mlp-extra-layer.onnx")
        #expect(minor.stdout.hasPrefix("required bump: MINOR\n"))
        #expect(minor.stdout.contains("+1 Gemm  (2 -> 3)"))

        let major = try run("diff", "mlp-v1.onnx", "mlp-input-5.onnx", "--json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(major.stdout.utf8)) as? [String: Any])
        #expect(object["required_bump"] as? String == "MAJOR")
        let io = try #require(object["io_changes"] as? [[String: Any]])
        #expect(io.first?["kind"] as? String == "dim_changed" && io.first?["breaking"] as? Bool == true)

        let none = try run("diff", "mlp-v1.onnx", "mlp-v1.onnx")
        #expect(none.stdout.hasPrefix("required bump: NONE\n\ntopology unchanged"))
        #expect(!none.stdout.contains("files") && !none.stdout.contains("trained values"))
    }

    @Test func diffRejectsAMissingModel() throws {
        let missing = try run("diff", "mlp-v1.onnx", "nope")
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("'nope' does not exist"))
    }
}
