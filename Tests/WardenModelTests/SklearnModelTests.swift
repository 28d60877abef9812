import Foundation
import Testing
import WardenCore
import WardenRuntime
@testable import WardenModel

/// The semver rule on models exported by skl2onnx (Fixtures/sklearn/README.md).
@Suite struct SklearnModelTests {
    private func describe(_ name: String) throws -> ModelDescription {
        try ModelDescription(contentsOf: Fixture.sklearn(name)).withFileDigests()
    }

    private func change(_ a: String, _ b: String) throws -> ChangeAssessment {
        ChangeAssessment(from: try describe(a), to: try describe(b))
    }

    @Test func retrainingALinearModelIsPatchThoughItsValuesLiveInAttributes() throws {
        let change = try change("logreg-a.onnx", "logreg-b.onnx")
        #expect(change.required == .patch)
        #expect(!change.topologyChanged && change.weightsChanged)
        let diff = try ModelDiff(from: Fixture.sklearn("logreg-a.onnx"), to: Fixture.sklearn("logreg-b.onnx"))
        #expect(Set(diff.initializers.map(\.name)).isSuperset(of: ["LinearClassifier.coefficients", "LinearClassifier.intercepts", "Scaler.offset"]))
    }

    @Test func aHiddenLayerAddedIsMinor() throws {
        let change = try change("mlp-1layer.onnx", "mlp-2layer.onnx")
        #expect(change.required == .minor)
        #expect(change.opCountChanges.contains(.init(op: "MatMul", before: 2, after: 3)))
    }

    @Test(arguments: ["logreg-5features.onnx", "logreg-double.onnx"])
    func anIncompatibleInputIsMajor(model: String) throws {
        let change = try change("logreg-a.onnx", model)
        #expect(change.required == .major)
        #expect(change.ioChanges.contains { $0.side == .input && $0.isBreaking })
    }

    @Test func externalDataHasTheSameStructureAndValuesAsInline() throws {
        let inline = try describe("mlp-2layer.onnx")
        let external = try describe("mlp-2layer-external")
        #expect(inline.onnx?.topologyFingerprint == external.onnx?.topologyFingerprint)
        #expect(inline.onnx?.weightsDigest == external.onnx?.weightsDigest)
        #expect(external.modelFiles == ["model.onnx", "weights.bin"])
    }

    @Test func aForestsTrainedNodesAreValuesNotTopology() throws {
        let forest = try describe("forest.onnx")
        let onnx = try #require(forest.onnx)
        #expect(onnx.opCounts == ["ai.onnx.ml.TreeEnsembleClassifier": 1])
        #expect(onnx.parameters.contains { $0.kind == .attribute && $0.name.hasSuffix(".nodes_values") })
        #expect(!onnx.parameters.contains { $0.name.hasSuffix(".classlabels_int64s") })
        #expect(forest.signature.outputs.map(\.name) == ["label", "probabilities"])
    }
}
