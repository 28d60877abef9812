import Foundation
import Testing
import WardenCore
@testable import WardenModel

@Suite struct ModelCardTests {
    @Test func readsEveryField() throws {
        let card = try ModelCard(yaml: """
            name: team.fraud-detector
            description: Scores card transactions.
            format: ONNX
            framework: scikit-learn 1.6
            inputs:
              - {name: features, dtype: float, shape: [batch, 30]}
              - name: mask
                dtype: bool
                shape: [-1, 30]
            outputs:
              - {name: scores, dtype: float32}
            labels: [legit, fraud]
            lineage:
              parent: team.fraud-detector@1.3.0
              dataset: sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
              code_revision: 3f2a9c1
              run_url: https://mlflow.example.com/#/experiments/1/runs/abc
            serving:
              max_batch_size: 32
            metadata:
              owner: risk-team
              auc: 0.97
              tags: [prod, pci]
              nested: {retrain: weekly, quoted: "42"}
            """)
        #expect(card.name == "team.fraud-detector")
        #expect(card.format == .onnx)
        #expect(card.framework == "scikit-learn 1.6")
        #expect(card.inputs == [
            TensorSpec(name: "features", dataType: .float32, shape: [.symbolic("batch"), .fixed(30)]),
            TensorSpec(name: "mask", dataType: .bool, shape: [.unknown, .fixed(30)]),
        ])
        #expect(card.outputs == [TensorSpec(name: "scores", dataType: .float32, shape: nil)])
        #expect(card.labels == ["legit", "fraud"])
        #expect(card.lineage?.parent?.description == "team.fraud-detector@1.3.0")
        #expect(card.lineage?.dataset?.hex.hasPrefix("9f86d0") == true)
        #expect(card.lineage?.codeRevision == "3f2a9c1")
        #expect(card.serving?["max_batch_size"] == .int(32))
        #expect(card.metadata["auc"] == .double(0.97))
        #expect(card.metadata["tags"] == .array([.string("prod"), .string("pci")]))
        #expect(card.metadata["nested"] == .object(["retrain": .string("weekly"), "quoted": .string("42")]))
        // JSON rendering is valid JSON.
        _ = try JSONSerialization.data(withJSONObject: card.jsonObject)
    }

    @Test func yamlAnchorsAndAliasesResolve() throws {
        let card = try ModelCard(yaml: "metadata:\n  a: &x {k: 1}\n  b: *x\n")
        #expect(card.metadata["b"] == .object(["k": .int(1)]))
    }

    @Test func anEmptyCardIsValid() throws {
        #expect(try ModelCard(yaml: "") == ModelCard())
        #expect(try ModelCard(yaml: "# just a comment\n") == ModelCard())
    }

    @Test(arguments: [
        ("name: [unclosed", "is not valid YAML"),
        ("name: a\n  b: c\n d", "is not valid YAML: line"),
        ("- just\n- a list", "(top level): must be a mapping"),
        ("nmae: fraud", "warden.yaml:1:7: nmae: unknown field"),
        ("name: fraud detector", "name: 'fraud detector' is not a valid model name"),
        ("format: pickle", "format: unknown format 'pickle'; use one of onnx, wasm"),
        ("inputs:\n  - {name: x, dtype: flaot32, shape: [1]}", "warden.yaml:2:22: inputs[0].dtype: unknown dtype 'flaot32'"),
        ("inputs:\n  - {name: x, shape: [1]}", "inputs[0]: needs a dtype"),
        ("inputs:\n  - {dtype: float32}", "inputs[0]: needs a name"),
        ("inputs:\n  - {name: x, dtype: float32}\n  - {name: x, dtype: int64}", "inputs[1].name: 'x' is listed twice"),
        ("inputs:\n  - {name: x, dtype: float32, shape: [batch, -3]}", "inputs[0].shape[1]: -3 is not a size"),
        ("inputs:\n  - {name: x, dtype: float32, shape: [2.5]}", "inputs[0].shape[0]: '2.5' is not a size or a dim name"),
        ("inputs:\n  - {name: x, dtype: float32, layout: NCHW}", "inputs[0].layout: unknown field"),
        ("inputs: x", "inputs: must be a list"),
        ("labels: {a: b}", "labels: must be a list"),
        ("lineage:\n  parent: fraud", "lineage.parent: 'fraud' names no version"),
        ("lineage:\n  parent: fraud@1.2", "warden.yaml:2:11: lineage.parent: '1.2' is not a semantic version"),
        ("lineage:\n  dataset: md5:abc", "lineage.dataset:"),
        ("lineage:\n  run_url: not a url", "lineage.run_url: 'not a url' is not an http(s) URL"),
        ("lineage:\n  commit: abc", "lineage.commit: unknown field"),
        ("metadata: 3", "metadata: must be a mapping"),
        ("name: a\nname: b", "duplicated key(s): 'name'"),
        ("base: &b {x: 1}\nmetadata: *b", "base: unknown field"),
        ("preprocess: pre.py", "preprocess: must name a .wasm or .wat file in the model directory, such as pre.wasm"),
        ("postprocess: ../post.wasm", "postprocess: must name a .wasm or .wat file in the model directory, such as post.wasm"),
        ("sandbox: 5", "sandbox: must be a mapping of limits (fuel, max_memory_pages, timeout_ms)"),
    ])
    func rejectsBadCardsNamingTheField(yaml: String, message: String) {
        expectWardenError(.invalidCard, containing: message) {
            _ = try ModelCard(yaml: yaml)
        }
    }

    @Test func loadsFromADirectoryAndReportsNonUTF8() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(try ModelCard.load(fromDirectory: directory.path) == nil)
        try directory.write("warden.yaml", "name: fraud\nlabels: [a, b]\n")
        #expect(try ModelCard.load(fromDirectory: directory.path)?.labels == ["a", "b"])
        try Data([0x6E, 0x61, 0x6D, 0x65, 0x3A, 0x20, 0xFF, 0xFE]).write(to: URL(fileURLWithPath: directory.file("warden.yaml")))
        expectWardenError(.invalidCard, containing: "not UTF-8") {
            _ = try ModelCard.load(fromDirectory: directory.path)
        }
    }

    // MARK: Checked against the graph

    private let graph = IOSignature(
        inputs: [TensorSpec(name: "input", dataType: .float32, shape: [.symbolic("batch"), .fixed(4)])],
        outputs: [TensorSpec(name: "probabilities", dataType: .float32, shape: [.symbolic("batch"), .fixed(3)])]
    )

    @Test func aCardThatAgreesWithTheGraphPasses() throws {
        try ModelCard(yaml: "inputs:\n  - {name: input, dtype: float32, shape: [N, 4]}").check(against: graph)
        try ModelCard(yaml: "inputs:\n  - {name: input, dtype: float32, shape: [-1, 4]}").check(against: graph)
        try ModelCard(yaml: "outputs:\n  - {name: probabilities, dtype: float32}").check(against: graph)
        try ModelCard(yaml: "labels: [a, b, c]").check(against: graph)
    }

    @Test(arguments: [
        ("inputs:\n  - {name: features, dtype: float32}", "inputs[0].name: the card declares input 'features' but the model has no such input; its inputs are 'input'"),
        ("inputs:\n  - {name: input, dtype: float64}", "inputs[0].dtype: the card says float64 but the model's input 'input' is float32"),
        ("inputs:\n  - {name: input, dtype: float32, shape: [batch, 5]}", "inputs[0].shape[1]: the card says 5 but the model's input 'input' has 4 there"),
        ("inputs:\n  - {name: input, dtype: float32, shape: [1, 4]}", "inputs[0].shape[0]: the card says 1 but the model's input 'input' has a dynamic dim ('batch')"),
        ("inputs:\n  - {name: input, dtype: float32, shape: [4]}", "inputs[0].shape: the card says [4] (rank 1)"),
        ("outputs:\n  - {name: probabilities, dtype: float32, shape: [batch, 3, 1]}", "outputs[0].shape: the card says [batch, 3, 1] (rank 3)"),
        ("outputs:\n  - {name: probabilities, dtype: float32}\n  - {name: logits, dtype: float32}", "outputs[1].name: the card declares output 'logits'"),
        ("outputs: []", "outputs: the card leaves out output 'probabilities'"),
    ])
    func aCardThatContradictsTheGraphIsAnError(yaml: String, message: String) throws {
        let card = try ModelCard(yaml: yaml)
        expectWardenError(.cardContradictsModel, containing: message) {
            try card.check(against: graph)
        }
    }

    // MARK: WASM pipelines

    @Test func readsPipelineModulesAndLimits() throws {
        let card = try ModelCard(yaml: "preprocess: pre.wat\npostprocess: post.wasm\nsandbox: {fuel: 1000, timeout_ms: 50}\n")
        #expect(card.preprocess == "pre.wat")
        #expect(card.postprocess == "post.wasm")
        #expect(card.sandbox == ["fuel": .int(1000), "timeout_ms": .int(50)])
    }

    @Test func aPipelineDirectoryHasThePipelinesSignature() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let model = try #require(Bundle.module.path(forResource: "logreg-a", ofType: "onnx", inDirectory: "Fixtures/sklearn"))
        try FileManager.default.copyItem(atPath: model, toPath: directory.file("model.onnx"))
        try directory.write("pre.wat", "(module)")
        try directory.write("warden.yaml", "preprocess: pre.wat\ninputs:\n  - {name: csv, dtype: bytes, shape: [batch]}\n")
        let description = try ModelDescription(contentsOf: directory.path)
        #expect(description.signature.inputs.map(\.name) == ["csv"])
        #expect(description.signature.outputs.map(\.name) == ["label", "probabilities"])
        #expect(description.modelFiles.contains("pre.wat"))

        // The pipeline's inputs must be declared, the module must be there, and the other side still agrees with the graph.
        try directory.write("warden.yaml", "preprocess: pre.wat\n")
        expectWardenError(.invalidCard, containing: "a card with preprocess (pre.wat) must declare the inputs") {
            _ = try ModelDescription(contentsOf: directory.path)
        }
        try directory.write("warden.yaml", "postprocess: post.wat\noutputs:\n  - {name: top, dtype: bytes}\n")
        expectWardenError(.invalidCard, containing: "postprocess: 'post.wat' is not in the model directory") {
            _ = try ModelDescription(contentsOf: directory.path)
        }
        try directory.write("warden.yaml", "preprocess: pre.wat\ninputs:\n  - {name: csv, dtype: bytes}\noutputs:\n  - {name: top, dtype: bytes}\n")
        expectWardenError(.cardContradictsModel, containing: "outputs[0].name: the card declares output 'top'") {
            _ = try ModelDescription(contentsOf: directory.path)
        }
    }
}
