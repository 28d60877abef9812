import Foundation
import Testing
import WardenCore
import WardenONNX
@testable import WardenModel

@Suite struct ChangeAssessmentTests {
    private func describe(_ path: String) throws -> ModelDescription {
        try ModelDescription(contentsOf: path).withFileDigests()
    }

    @Test func identicalModelsNeedNoBump() throws {
        let change = ChangeAssessment(from: try describe(Fixture.onnx("mlp-v1.onnx")), to: try describe(Fixture.onnx("mlp-v1.onnx")))
        #expect(change.required == .none)
        #expect(change.reasons.isEmpty)
        #expect(change.files?.isEmpty == true)
    }

    @Test func retrainedWeightsArePatch() throws {
        let change = ChangeAssessment(from: try describe(Fixture.onnx("mlp-v1.onnx")), to: try describe(Fixture.onnx("mlp-v1-retrained.onnx")))
        #expect(change.required == .patch)
        #expect(!change.topologyChanged && change.weightsChanged && change.ioChanges.isEmpty)
        #expect(change.reasons == ["trained values changed"])
    }

    @Test func anAddedLayerIsMinor() throws {
        let change = ChangeAssessment(from: try describe(Fixture.onnx("mlp-v1.onnx")), to: try describe(Fixture.onnx("mlp-extra-layer.onnx")))
        #expect(change.required == .minor)
        #expect(change.topologyChanged)
        #expect(change.opCountChanges == [.init(op: "Gemm", before: 2, after: 3), .init(op: "Relu", before: 1, after: 2)])
        #expect(change.reasons.first == "topology changed: Gemm 2 -> 3, Relu 1 -> 2")
    }

    @Test(arguments: [("mlp-input-5.onnx", "breaking: input 'input' dim 1: 4 -> 5"), ("mlp-input-double.onnx", "breaking: input 'input' dtype changed: float32 -> float64")])
    func anIncompatibleInputIsMajor(model: String, reason: String) throws {
        let change = ChangeAssessment(from: try describe(Fixture.onnx("mlp-v1.onnx")), to: try describe(Fixture.onnx(model)))
        #expect(change.required == .major)
        #expect(change.reasons.first == reason)
    }

    @Test func aChangedReadmeOrCardIsPatchAndASignatureIsIgnored() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.copy(from: Fixture.onnx("mlp-v1.onnx"), to: "a/model.onnx")
        try directory.copy(from: Fixture.onnx("mlp-v1.onnx"), to: "b/model.onnx")
        try directory.write("b/model.sig", "{}")
        #expect(ChangeAssessment(from: try describe(directory.file("a")), to: try describe(directory.file("b"))).required == .none)

        try directory.write("b/README.md", "# fraud\n")
        var change = ChangeAssessment(from: try describe(directory.file("a")), to: try describe(directory.file("b")))
        #expect(change.required == .patch)
        #expect(change.files?.added == ["README.md"])
        #expect(change.reasons == ["files changed: README.md"])

        try directory.write("a/warden.yaml", "labels: [a, b, c]\n")
        try directory.write("b/warden.yaml", "labels: [a, b, d]\n")
        try directory.write("a/README.md", "# fraud\n")
        change = ChangeAssessment(from: try describe(directory.file("a")), to: try describe(directory.file("b")))
        #expect(change.required == .patch)
        #expect(change.files?.changed == ["warden.yaml"])
    }

    @Test func externalDataIsPartOfTheModel() throws {
        let model = try describe(Fixture.onnx("mlp-external"))
        #expect(model.modelFiles == ["model.onnx", "weights.bin"])
        #expect(model.files?.keys.sorted() == ["model.onnx", "weights.bin"])
        #expect(model.onnx?.parameters.count == 4)
    }

    @Test func aCardContradictingTheGraphStopsTheDescription() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.copy(from: Fixture.onnx("mlp-v1.onnx"), to: "model.onnx")
        try directory.write("warden.yaml", "inputs:\n  - {name: input, dtype: int64}\n")
        expectWardenError(.cardContradictsModel, containing: "inputs[0].dtype: the card says int64 but the model's input 'input' is float32") {
            _ = try ModelDescription(contentsOf: directory.path)
        }
    }

    @Test func unknownPathsAndFormatsAreClearErrors() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        expectWardenError(.pathNotFound, containing: "does not exist") {
            _ = try ModelDescription(contentsOf: directory.file("nope"))
        }
        try directory.write("README.md", "hi")
        expectWardenError(.invalidModel, containing: "holds no .onnx or .wasm file") {
            _ = try ModelDescription(contentsOf: directory.path)
        }
        try directory.write("warden.yaml", "format: wasm\n")
        expectWardenError(.invalidCard, containing: "a wasm model's card must declare inputs and outputs") {
            _ = try ModelDescription(contentsOf: directory.path)
        }
    }

    @Test func aWasmModelTakesItsSignatureFromTheCardAndAnyModuleChangeIsMinor() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let card = "format: wasm\ninputs:\n  - {name: text, dtype: string, shape: [batch]}\noutputs:\n  - {name: ids, dtype: int64, shape: [batch, 128]}\n"
        for side in ["a", "b"] {
            try directory.write("\(side)/warden.yaml", card)
            try directory.write("\(side)/model.wasm", "\0asm module \(side)")
        }
        let a = try describe(directory.file("a"))
        #expect(a.signature.inputs.first?.name == "text")
        #expect(a.modelFiles == ["model.wasm"])
        let change = ChangeAssessment(from: a, to: try describe(directory.file("b")))
        #expect(change.required == .minor)
    }
}

@Suite struct SemverRuleTests {
    private func v(_ text: String) throws -> SemanticVersion { try SemanticVersion(parsing: text) }
    private func model(_ name: String) throws -> ModelDescription { try ModelDescription(contentsOf: Fixture.onnx(name)).withFileDigests() }

    @Test func theIssueExamples() throws {
        let base = try model("mlp-v1.onnx")
        let retrained = try model("mlp-v1-retrained.onnx")
        let layer = try model("mlp-extra-layer.onnx")
        let wider = try model("mlp-input-5.onnx")

        // 1.4.1 after 1.4.0: PATCH at most.
        #expect(try allowed(SemverRule.evaluate(previous: (v("1.4.0"), base), candidate: (v("1.4.1"), retrained))))
        #expect(try !allowed(SemverRule.evaluate(previous: (v("1.4.0"), base), candidate: (v("1.4.1"), layer))))
        // 1.5.0 allows MINOR, not MAJOR.
        #expect(try allowed(SemverRule.evaluate(previous: (v("1.4.0"), base), candidate: (v("1.5.0"), layer))))
        #expect(try !allowed(SemverRule.evaluate(previous: (v("1.4.0"), base), candidate: (v("1.5.0"), wider))))
        // 2.0.0 allows anything; pre-releases follow their release line.
        #expect(try allowed(SemverRule.evaluate(previous: (v("1.4.0"), base), candidate: (v("2.0.0"), wider))))
        #expect(try allowed(SemverRule.evaluate(previous: (v("1.4.0"), base), candidate: (v("2.0.0-rc.1"), wider))))
        #expect(try !allowed(SemverRule.evaluate(previous: (v("1.4.0"), base), candidate: (v("1.4.1-rc.1"), layer))))
        // A first version is always allowed.
        #expect(try allowed(SemverRule.evaluate(previous: nil, candidate: (v("0.1.0"), wider))))
    }

    @Test func aRejectionNamesTheRequiredBumpWhyAndWhatToPublish() throws {
        let change = ChangeAssessment(from: try model("mlp-v1.onnx"), to: try model("mlp-input-5.onnx"))
        expectWardenError(.semverViolation, containing: ["1.5.0 after 1.4.0 allows MINOR changes, but this version needs a MAJOR bump", "input 'input' dim 1: 4 -> 5", "publish it as 2.0.0 or later"]) {
            try SemverRule.check(previous: v("1.4.0"), candidate: v("1.5.0"), change: change)
        }
        let layer = ChangeAssessment(from: try model("mlp-v1.onnx"), to: try model("mlp-extra-layer.onnx"))
        expectWardenError(.semverViolation, containing: ["needs a MINOR bump", "topology changed: Gemm 2 -> 3", "publish it as 1.5.0 or later"]) {
            try SemverRule.check(previous: v("1.4.0"), candidate: v("1.4.1"), change: layer)
        }
        expectWardenError(.semverViolation, containing: "publish it as 0.4.0 or later") {
            try SemverRule.check(previous: v("0.3.2"), candidate: v("0.3.3"), change: change)
        }
        expectWardenError(.semverViolation, containing: "1.3.0 does not come after 1.4.0") {
            try SemverRule.check(previous: v("1.4.0"), candidate: v("1.3.0"), change: layer)
        }
        #expect(try SemverRule.check(previous: v("1.4.0"), candidate: v("1.5.0"), change: layer) == .minor)
    }

    private func allowed(_ verdict: SemverRule.Verdict) -> Bool {
        if case .allowed = verdict { return true }
        return false
    }
}

@Suite struct ModelDiffTests {
    @Test func valueStatisticsAreExact() throws {
        // Change two of fc1.bias's 8 values by known amounts.
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var proto = try ONNXModel(contentsOf: Fixture.onnx("mlp-v1.onnx")).proto
        let index = try #require(proto.graph.initializer.firstIndex { $0.name == "fc1.bias" })
        var tensor = proto.graph.initializer[index]
        let old: [Float] = tensor.rawData.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        var new = old
        new[2] += 0.5
        new[5] -= 2
        tensor.rawData = new.withUnsafeBytes { Data($0) }
        proto.graph.initializer[index] = tensor
        try proto.serializedData().write(to: URL(fileURLWithPath: directory.file("edited.onnx")))

        let diff = try ModelDiff(from: Fixture.onnx("mlp-v1.onnx"), to: directory.file("edited.onnx"))
        #expect(diff.assessment.required == .patch)
        #expect(diff.initializers.count == 1)
        let change = try #require(diff.initializers.first)
        #expect(change.name == "fc1.bias")
        guard case .valuesChanged(let stats) = change.kind else {
            Issue.record("expected a value change, got \(change.kind)")
            return
        }
        let norm = old.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let expected = (Double(new[2] - old[2]) * Double(new[2] - old[2]) + Double(new[5] - old[5]) * Double(new[5] - old[5])).squareRoot() / norm
        #expect(stats.elementCount == 8)
        #expect(stats.changedCount == 2)
        #expect(stats.changedFraction == 0.25)
        #expect(abs(stats.maxAbsoluteDifference - Double(old[5] - new[5])) < 1e-6)
        #expect(abs(stats.relativeL2Change - expected) < 1e-9)
    }

    @Test func reshapedAndAddedInitializersAreListed() throws {
        let wider = try ModelDiff(from: Fixture.onnx("mlp-v1.onnx"), to: Fixture.onnx("mlp-input-5.onnx"))
        #expect(wider.initializers.contains { $0.name == "fc1.weight" && $0.kind == .reshaped(from: "float32 [4, 8]", to: "float32 [5, 8]") })
        let deeper = try ModelDiff(from: Fixture.onnx("mlp-v1.onnx"), to: Fixture.onnx("mlp-extra-layer.onnx"))
        #expect(Set(deeper.initializers.filter { $0.kind == .added }.map(\.name)) == ["fc_extra.weight", "fc_extra.bias"])
        let json = try JSONSerialization.data(withJSONObject: deeper.jsonObject)
        #expect(String(decoding: json, as: UTF8.self).contains("\"required_bump\":\"MINOR\""))
    }

    @Test func renamedInitializersInAnUnchangedTopologyPairByPosition() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var proto = try ONNXModel(contentsOf: Fixture.onnx("mlp-v1.onnx")).proto
        var renames: [String: String] = [:]
        for index in proto.graph.initializer.indices {
            let name = proto.graph.initializer[index].name
            renames[name] = "renamed_\(index)"
            proto.graph.initializer[index].name = "renamed_\(index)"
        }
        for index in proto.graph.node.indices {
            proto.graph.node[index].input = proto.graph.node[index].input.map { renames[$0] ?? $0 }
        }
        try proto.serializedData().write(to: URL(fileURLWithPath: directory.file("renamed.onnx")))
        let diff = try ModelDiff(from: Fixture.onnx("mlp-v1.onnx"), to: directory.file("renamed.onnx"))
        // Same structure and values: only the file bytes differ.
        #expect(!diff.assessment.topologyChanged && !diff.assessment.weightsChanged)
        #expect(diff.assessment.required == .patch)
        #expect(diff.initializers.isEmpty)
    }
}
