import Foundation
import Testing
import WardenCore
@testable import WardenONNX
@testable import WardenRuntime
@testable import WardenTensor

/// Bad graphs made by editing a real model: each must be refused with `.invalidGraph` naming the problem.
@Suite struct GraphValidationTests {
    @Test func anUndefinedInputIsNamed() throws {
        let proto = try Fixture.proto("mlp-v1").withGraph { graph in
            graph.node[try graph.nodeIndex("fc2")].input[0] = "activations"
        }
        expectWardenError(.invalidGraph, containing: "node 'fc2' (Gemm) uses tensor 'activations', which no graph input, initializer or node defines") {
            _ = try proto.inspected()
        }
    }

    @Test func anUnnamedNodeIsDescribedByPosition() throws {
        let proto = try Fixture.proto("mlp-v1").withGraph { graph in
            for index in graph.node.indices { graph.node[index].name = "" }
            graph.node[2].input[1] = "fc2.weights"
        }
        expectWardenError(.invalidGraph, containing: "node #2 (Gemm) uses tensor 'fc2.weights'") {
            _ = try proto.inspected()
        }
    }

    /// Dropping an initializer (as a careless pruning script might) leaves the node that read it dangling.
    @Test func aRemovedInitializerLeavesItsUserDangling() throws {
        let proto = try Fixture.proto("mlp-v1").withGraph { graph in
            graph.initializer.remove(at: try graph.initializerIndex("fc1.bias"))
        }
        expectWardenError(.invalidGraph, containing: "node 'fc1' (Gemm) uses tensor 'fc1.bias'") {
            _ = try proto.inspected()
        }
    }

    @Test func twoNodesThatFeedEachOtherAreACycle() throws {
        // relu1 now reads fc2's output while fc2 still reads relu1's.
        let proto = try Fixture.proto("mlp-v1").withGraph { graph in
            graph.node[try graph.nodeIndex("relu1")].input = ["logits"]
        }
        expectWardenError(.invalidGraph, containing: ["the graph has a cycle through", "node 'relu1' (Relu)", "node 'fc2' (Gemm)", "ONNX graphs must be acyclic"]) {
            _ = try proto.inspected()
        }
    }

    @Test func aNodeThatReadsItsOwnOutputIsACycle() throws {
        let proto = try Fixture.proto("mlp-v1").withGraph { graph in
            graph.node[try graph.nodeIndex("relu1")].input = ["a1"]
        }
        expectWardenError(.invalidGraph, containing: ["the graph has a cycle through", "node 'relu1' (Relu)"]) {
            _ = try proto.inspected()
        }
    }

    @Test func aWholeGraphLoopIsACycle() throws {
        let proto = try Fixture.proto("mlp-v1").withGraph { graph in
            graph.node[try graph.nodeIndex("fc1")].input[0] = "probabilities"
        }
        expectWardenError(.invalidGraph, containing: ["the graph has a cycle through", "node 'fc1' (Gemm)", "node 'softmax' (Softmax)"]) {
            _ = try proto.inspected()
        }
    }

    @Test func aTensorWithTwoProducersIsNamed() throws {
        let proto = try Fixture.proto("mlp-v1").withGraph { graph in
            graph.node[try graph.nodeIndex("relu1")].output = ["h1"]
        }
        expectWardenError(
            .invalidGraph,
            containing: "tensor 'h1' is produced by two nodes (node 'fc1' (Gemm) and node 'relu1' (Relu)); each tensor must have one producer"
        ) {
            _ = try proto.inspected()
        }
    }

    @Test func aGraphOutputNobodyProducesIsNamed() throws {
        let proto = try Fixture.proto("mlp-v1").withGraph { graph in
            graph.output[0].name = "scores"
        }
        expectWardenError(.invalidGraph, containing: "graph output 'scores' is never produced by any node") {
            _ = try proto.inspected()
        }
    }

    @Test func aGraphOutputMayBeAGraphInput() throws {
        let inspection = try Fixture.proto("mlp-v1").withGraph { graph in
            graph.output.append(graph.input[0])
        }.inspected()
        #expect(inspection.signature.outputs.map(\.name) == ["probabilities", "input"])
    }

    @Test func emptyOptionalInputsAreAllowed() throws {
        // Gemm's C is optional: an empty name means "not given".
        let inspection = try Fixture.proto("mlp-v1").withGraph { graph in
            graph.node[try graph.nodeIndex("fc1")].input[2] = ""
        }.inspected()
        #expect(inspection.opCounts["Gemm"] == 2)
        // fc1.bias is now unused but still a parameter, listed after the used ones.
        #expect(inspection.parameters.map(\.name) == ["fc1.weight", "fc2.weight", "fc2.bias", "fc1.bias"])
    }

    /// The spec asks for topological order, but exporters do not always comply.
    @Test(arguments: [[3, 2, 1, 0], [1, 0, 3, 2], [2, 0, 3, 1]])
    func nodesOutOfOrderAreAcceptedAndFingerprintTheSame(permutation: [Int]) throws {
        let original = try Fixture.proto("mlp-v1")
        let shuffled = original.withGraph { graph in
            graph.node = permutation.map { graph.node[$0] }
        }
        try #require(shuffled.graph.node.map(\.name) != original.graph.node.map(\.name))

        let expected = try original.inspected()
        let inspection = try shuffled.inspected()
        #expect(inspection.topologyFingerprint == expected.topologyFingerprint)
        #expect(inspection.weightsDigest == expected.weightsDigest)
        #expect(inspection.parameters == expected.parameters)
        #expect(inspection.opCounts == expected.opCounts)
    }

    @Test func canonicalOrderFollowsDependenciesNotTheFile() throws {
        let proto = try Fixture.proto("mlp-v1")
        let reversed = Array(proto.graph.node.reversed())
        var graph = proto.graph
        graph.node = reversed
        #expect(try GraphOrder.order(proto.graph) == [0, 1, 2, 3])
        #expect(try GraphOrder.order(graph).map { graph.node[$0].name } == ["fc1", "relu1", "fc2", "softmax"])
    }

    // MARK: Subgraphs

    /// An `If` whose branches read `a1` from the enclosing graph.
    private static func modelWithIf(thenReads thenInput: String = "a1") throws -> Onnx_ModelProto {
        func branch(_ name: String, reads input: String) -> Onnx_AttributeProto {
            var identity = Onnx_NodeProto()
            identity.opType = "Identity"
            identity.name = "\(name)_identity"
            identity.input = [input]
            identity.output = ["\(name)_out"]
            var output = Onnx_ValueInfoProto()
            output.name = "\(name)_out"
            var subgraph = Onnx_GraphProto()
            subgraph.name = name
            subgraph.node = [identity]
            subgraph.output = [output]
            var attribute = Onnx_AttributeProto()
            attribute.name = name
            attribute.type = .graph
            attribute.g = subgraph
            return attribute
        }
        return try Fixture.proto("mlp-v1").withGraph { graph in
            var condition = Onnx_ValueInfoProto()
            condition.name = "use_relu"
            condition.type.tensorType.elemType = 9  // BOOL
            graph.input.append(condition)
            var node = Onnx_NodeProto()
            node.opType = "If"
            node.name = "choose"
            node.input = ["use_relu"]
            node.output = ["chosen"]
            node.attribute = [branch("then_branch", reads: thenInput), branch("else_branch", reads: "h1")]
            graph.node.insert(node, at: try graph.nodeIndex("fc2"))
        }
    }

    @Test func subgraphsMayReadTheEnclosingGraph() throws {
        let inspection = try Self.modelWithIf().inspected()
        #expect(inspection.opCounts == ["Gemm": 2, "Relu": 1, "Softmax": 1, "If": 1, "Identity": 2])
        #expect(inspection.signature.inputs.map(\.name) == ["input", "use_relu"])
    }

    @Test func anUndefinedNameInASubgraphIsNamed() throws {
        let proto = try Self.modelWithIf(thenReads: "hidden_state")
        expectWardenError(.invalidGraph, containing: "node 'then_branch_identity' (Identity) uses tensor 'hidden_state'") {
            _ = try proto.inspected()
        }
    }

    /// Which outer tensor a branch reads is wiring, so it is part of the fingerprint; the weights are not touched.
    @Test func subgraphStructureIsPartOfTheFingerprint() throws {
        let a = try Self.modelWithIf(thenReads: "a1").inspected()
        let b = try Self.modelWithIf(thenReads: "h1").inspected()
        let plain = try Fixture.proto("mlp-v1").inspected()
        #expect(a.topologyFingerprint != b.topologyFingerprint)
        #expect(a.topologyFingerprint != plain.topologyFingerprint)
        #expect(a.weightsDigest == plain.weightsDigest)
    }

    // MARK: Corrupt tensors and types

    @Test func anInitializerWhoseBytesDoNotFitItsShapeIsCorrupt() throws {
        let proto = try Fixture.proto("mlp-v1").withGraph { graph in
            graph.initializer[try graph.initializerIndex("fc1.weight")].dims = [4, 9]
        }
        expectWardenError(.invalidModel, containing: "initializer 'fc1.weight' stores 128 bytes but its shape [4, 9] of float32 needs 144; the model is corrupt") {
            _ = try proto.inspected()
        }
    }

    @Test func anInitializerWithANegativeDimensionIsCorrupt() throws {
        let proto = try Fixture.proto("mlp-v1").withGraph { graph in
            graph.initializer[try graph.initializerIndex("fc1.bias")].dims = [-8]
        }
        expectWardenError(.invalidModel, containing: "initializer 'fc1.bias' has an invalid shape [-8]") {
            _ = try proto.inspected()
        }
    }

    @Test func anInitializerWhoseElementCountOverflowsIsCorrupt() throws {
        let proto = try Fixture.proto("mlp-v1").withGraph { graph in
            graph.initializer[try graph.initializerIndex("fc1.bias")].dims = [Int64.max / 2, 4]
        }
        expectWardenError(.invalidModel, containing: "initializer 'fc1.bias' has an invalid shape") {
            _ = try proto.inspected()
        }
        let wide = try Fixture.proto("mlp-v1").withGraph { graph in
            graph.initializer[try graph.initializerIndex("fc1.bias")].dims = [Int64.max / 2]
        }
        expectWardenError(.invalidModel, containing: "needs more than Int.max") {
            _ = try wide.inspected()
        }
    }

    @Test func anUndefinedElementTypeIsNamed() throws {
        let initializer = try Fixture.proto("mlp-v1").withGraph { graph in
            graph.initializer[try graph.initializerIndex("fc2.bias")].dataType = 99
        }
        expectWardenError(.invalidModel, containing: "initializer 'fc2.bias' has element type 99, which ONNX does not define") {
            _ = try initializer.inspected()
        }

        let input = try Fixture.proto("mlp-v1").withGraph { graph in
            graph.input[0].type.tensorType.elemType = 0
        }
        expectWardenError(.invalidModel, containing: "graph value 'input' has element type 0, which ONNX does not define") {
            _ = try input.inspected()
        }
    }
}

/// Found by the libFuzzer target's seeds (Fuzz/make_onnx_seeds.py): a subgraph may read an
/// outer initializer that no outer node has read yet; onnx.checker and onnxruntime accept it.
@Suite struct SubgraphScopeTests {
    @Test func aSubgraphMayReadAnOuterInitializerFirst() throws {
        let inspection = try ONNXInspector().inspect(ONNXModel(contentsOf: Fixture.model("subgraph-outer-initializer")))
        #expect(inspection.opCounts["If"] == 1 && inspection.opCounts["Loop"] == 1)
        #expect(inspection.parameters.map(\.name).contains("w"))
    }
}
