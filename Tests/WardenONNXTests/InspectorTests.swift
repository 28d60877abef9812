import Foundation
import Testing
import WardenCore
@testable import WardenONNX
@testable import WardenRuntime
@testable import WardenTensor

/// The fixtures are MLPs `input -> Gemm -> Relu -> Gemm -> Softmax` with hidden = 8 (16 for mlp-external):
/// fc1.weight [in, hidden], fc1.bias [hidden], fc2.weight [hidden, 3], fc2.bias [3], all float32.
@Suite struct InspectorTests {
    // MARK: What inspect reports

    @Test func reportsTheSignatureOfMlpV1() throws {
        let inspection = try inspect(Fixture.model("mlp-v1"))
        #expect(inspection.signature.inputs == [TensorSpec(name: "input", dataType: .float32, shape: [.symbolic("batch"), .fixed(4)])])
        #expect(inspection.signature.outputs == [TensorSpec(name: "probabilities", dataType: .float32, shape: [.symbolic("batch"), .fixed(3)])])
        #expect(inspection.signature.inputs.first?.description == "input float32 [batch, 4]")
    }

    @Test func reportsTheModelHeader() throws {
        let inspection = try inspect(Fixture.model("mlp-v1"))
        #expect(inspection.format == "onnx")
        #expect(inspection.irVersion == 8)
        #expect(inspection.producer == "warden-fixtures")
        #expect(inspection.opsets == [.init(domain: "ai.onnx", version: 17)])
    }

    @Test func countsOps() throws {
        #expect(try inspect(Fixture.model("mlp-v1")).opCounts == ["Gemm": 2, "Relu": 1, "Softmax": 1])
        #expect(try inspect(Fixture.model("mlp-extra-layer")).opCounts == ["Gemm": 3, "Relu": 2, "Softmax": 1])
        #expect(try inspect(Fixture.model("mlp-input-double")).opCounts == ["Cast": 1, "Gemm": 2, "Relu": 1, "Softmax": 1])
    }

    @Test func namesOpsOutsideTheDefaultDomain() throws {
        let inspection = try Fixture.proto("mlp-v1").withGraph { graph in
            graph.node[try graph.nodeIndex("softmax")].domain = "com.example"
            graph.node[try graph.nodeIndex("relu1")].domain = "ai.onnx"
        }.inspected()
        #expect(inspection.opCounts == ["Gemm": 2, "Relu": 1, "com.example.Softmax": 1])
    }

    @Test(arguments: [
        // name, parameters, bytes (float32)
        ("mlp-v1", 4 * 8 + 8 + 8 * 3 + 3, 268),
        ("mlp-v1-retrained", 67, 268),
        ("mlp-extra-layer", 67 + 8 * 8 + 8, 556),
        ("mlp-input-5", 5 * 8 + 8 + 8 * 3 + 3, 300),
        ("mlp-input-double", 67, 268),
    ] as [(String, Int64, Int64)])
    func countsParameters(name: String, count: Int64, bytes: Int64) throws {
        let inspection = try inspect(Fixture.model(name))
        #expect(inspection.parameterCount == count)
        #expect(inspection.parameterBytes == bytes)
        #expect(inspection.parameters.allSatisfy { $0.dataType == .float32 })
    }

    @Test func listsParametersInTheOrderTheGraphUsesThem() throws {
        let inspection = try inspect(Fixture.model("mlp-extra-layer"))
        #expect(inspection.parameters.map(\.name) == ["fc1.weight", "fc1.bias", "fc_extra.weight", "fc_extra.bias", "fc2.weight", "fc2.bias"])
        #expect(inspection.parameters.map(\.shape) == [[4, 8], [8], [8, 8], [8], [8, 3], [3]])
        #expect(inspection.parameters.map(\.elementCount) == [32, 8, 64, 8, 24, 3])
    }

    @Test func reportsTheChangedInputs() throws {
        let five = try inspect(Fixture.model("mlp-input-5"))
        #expect(five.signature.inputs.first?.shape == [.symbolic("batch"), .fixed(5)])
        let double = try inspect(Fixture.model("mlp-input-double"))
        #expect(double.signature.inputs.first?.dataType == .float64)
        #expect(double.signature.outputs.first?.dataType == .float32)
    }

    // MARK: Topology fingerprint

    @Test func retrainingKeepsTheFingerprintAndChangesTheWeights() throws {
        let v1 = try inspect(Fixture.model("mlp-v1"))
        let retrained = try inspect(Fixture.model("mlp-v1-retrained"))
        #expect(retrained.topologyFingerprint == v1.topologyFingerprint)
        #expect(retrained.weightsDigest != v1.weightsDigest)
        #expect(retrained.parameters == v1.parameters)
    }

    @Test func everyArchitectureChangeChangesTheFingerprint() throws {
        let names = ["mlp-v1", "mlp-extra-layer", "mlp-input-5", "mlp-input-double", "mlp-external/model"]
        let fingerprints = try names.map { try inspect(Fixture.model($0)).topologyFingerprint }
        #expect(Set(fingerprints).count == names.count, "\(zip(names, fingerprints).map { "\($0) \($1)" })")
    }

    @Test func inspectionIsDeterministic() throws {
        let first = try inspect(Fixture.model("mlp-v1"))
        let second = try ONNXInspector().inspect(ONNXModel(serialized: Data(Fixture.bytes("mlp-v1")), path: "elsewhere/model.onnx"))
        #expect(first == second)
    }

    @Test func renamingEveryNodeAndTensorKeepsTheFingerprint() throws {
        let original = try Fixture.proto("mlp-v1")
        let renamed = Self.renamingEverything(original)
        try #require(Set(renamed.graph.initializer.map(\.name)).isDisjoint(with: original.graph.initializer.map(\.name)))
        try #require(renamed.graph.node.map(\.name) != original.graph.node.map(\.name))

        let before = try original.inspected()
        let after = try renamed.inspected()
        #expect(after.topologyFingerprint == before.topologyFingerprint)
        #expect(after.weightsDigest == before.weightsDigest)
        #expect(after.parameters.map(\.shape) == before.parameters.map(\.shape))
        #expect(after.signature != before.signature)
    }

    @Test func changingAnAttributeChangesTheFingerprint() throws {
        let original = try Fixture.proto("mlp-v1")
        let base = try original.inspected()

        let lastAxis = try original.withGraph { graph in
            let softmax = try graph.nodeIndex("softmax")
            try #require(graph.node[softmax].attribute.map(\.name) == ["axis"] && graph.node[softmax].attribute[0].i == 1)
            graph.node[softmax].attribute[0].i = -1
        }.inspected()
        #expect(lastAxis.topologyFingerprint != base.topologyFingerprint)
        #expect(lastAxis.weightsDigest == base.weightsDigest)

        let transposed = try original.withGraph { graph in
            var transB = Onnx_AttributeProto()
            transB.name = "transB"
            transB.type = .int
            transB.i = 1
            graph.node[try graph.nodeIndex("fc1")].attribute.append(transB)
        }.inspected()
        #expect(transposed.topologyFingerprint != base.topologyFingerprint)
    }

    @Test func rewiringChangesTheFingerprint() throws {
        let original = try Fixture.proto("mlp-v1")
        // fc2 reads the pre-activation h1 instead of a1: same ops, same shapes, other wiring.
        let skipRelu = try original.withGraph { graph in
            graph.node[try graph.nodeIndex("fc2")].input[0] = "h1"
        }
        #expect(try skipRelu.inspected().topologyFingerprint != original.inspected().topologyFingerprint)
    }

    @Test func anInitializerShapeIsPartOfTheFingerprint() throws {
        let original = try Fixture.proto("mlp-v1")
        // The same 24 values declared as [3, 8]: the bytes still fit, the structure differs.
        let reshaped = try original.withGraph { graph in
            graph.initializer[try graph.initializerIndex("fc2.weight")].dims = [3, 8]
        }
        let before = try original.inspected()
        let after = try reshaped.inspected()
        #expect(after.topologyFingerprint != before.topologyFingerprint)
        #expect(after.weightsDigest != before.weightsDigest)
    }

    @Test func theOpsetIsPartOfTheFingerprint() throws {
        var newer = try Fixture.proto("mlp-v1")
        newer.opsetImport[0].version = 18
        #expect(try newer.inspected().topologyFingerprint != Fixture.proto("mlp-v1").inspected().topologyFingerprint)
    }

    @Test func metadataIsNotPartOfTheFingerprint() throws {
        var original = try Fixture.proto("mlp-v1")
        let base = try original.inspected()
        original.producerName = "someone-else"
        original.producerVersion = "9.9"
        original.docString = "retitled"
        original.graph.docString = "described"
        let after = try original.inspected()
        #expect(after.producer == "someone-else 9.9")
        #expect(after.topologyFingerprint == base.topologyFingerprint)
        #expect(after.weightsDigest == base.weightsDigest)
    }

    /// Float tensor attributes hold trained values; integer ones hold shapes and axes.
    @Test func onlyIntegerTensorAttributesArePartOfTheFingerprint() throws {
        func withConstant(_ fill: (inout Onnx_TensorProto) -> Void) throws -> ModelInspection {
            var value = Onnx_TensorProto()
            value.dims = [2]
            fill(&value)
            var attribute = Onnx_AttributeProto()
            attribute.name = "value"
            attribute.type = .tensor
            attribute.t = value
            var node = Onnx_NodeProto()
            node.opType = "Constant"
            node.name = "constant"
            node.output = ["constant_out"]
            node.attribute = [attribute]
            return try Fixture.proto("mlp-v1").withGraph { $0.node.insert(node, at: 0) }.inspected()
        }
        let floats1 = try withConstant { $0.dataType = 1; $0.floatData = [1, 2] }
        let floats2 = try withConstant { $0.dataType = 1; $0.floatData = [3, 4] }
        let ints1 = try withConstant { $0.dataType = 7; $0.int64Data = [1, 2] }
        let ints2 = try withConstant { $0.dataType = 7; $0.int64Data = [1, 3] }
        #expect(floats1.topologyFingerprint == floats2.topologyFingerprint)
        #expect(ints1.topologyFingerprint != ints2.topologyFingerprint)
        #expect(floats1.topologyFingerprint != ints1.topologyFingerprint)
    }

    // MARK: Helpers

    /// Every node, tensor and graph name replaced by an opaque one, consistently, in another sort order.
    static func renamingEverything(_ proto: Onnx_ModelProto) -> Onnx_ModelProto {
        let graph = proto.graph
        var names = Set<String>()
        names.formUnion(graph.node.flatMap { [$0.name] + $0.input + $0.output })
        names.formUnion((graph.input + graph.output + graph.valueInfo).map(\.name))
        names.formUnion(graph.initializer.map(\.name))
        names.remove("")
        let table = Dictionary(uniqueKeysWithValues: names.sorted(by: >).enumerated().map { ($1, "t\($0)") })
        func rename(_ name: String) -> String { table[name] ?? name }
        return proto.withGraph { graph in
            graph.name = "renamed"
            for index in graph.node.indices {
                graph.node[index].name = rename(graph.node[index].name)
                graph.node[index].input = graph.node[index].input.map(rename)
                graph.node[index].output = graph.node[index].output.map(rename)
            }
            for index in graph.input.indices { graph.input[index].name = rename(graph.input[index].name) }
            for index in graph.output.indices { graph.output[index].name = rename(graph.output[index].name) }
            for index in graph.valueInfo.indices { graph.valueInfo[index].name = rename(graph.valueInfo[index].name) }
            for index in graph.initializer.indices { graph.initializer[index].name = rename(graph.initializer[index].name) }
        }
    }
}
