import Foundation
import Testing
import WardenCore
@testable import WardenONNX
@testable import WardenRuntime
@testable import WardenTensor

/// The weights digest: every initializer's values in canonical order, however they are stored.
@Suite struct WeightsDigestTests {
    @Test func oneBitOfOneWeightChangesTheDigest() throws {
        let original = try Fixture.proto("mlp-v1")
        let flipped = try original.withGraph { graph in
            let index = try graph.initializerIndex("fc2.bias")
            var raw = [UInt8](graph.initializer[index].rawData)
            raw[0] ^= 0x01
            graph.initializer[index].rawData = Data(raw)
        }
        let before = try original.inspected()
        let after = try flipped.inspected()
        #expect(after.weightsDigest != before.weightsDigest)
        #expect(after.topologyFingerprint == before.topologyFingerprint)
    }

    @Test func anUnusedInitializerIsStillAWeight() throws {
        func withSpare(_ value: Float) throws -> ModelInspection {
            var spare = Onnx_TensorProto()
            spare.name = "spare"
            spare.dataType = 1
            spare.dims = [1]
            spare.floatData = [value]
            return try Fixture.proto("mlp-v1").withGraph { $0.initializer.append(spare) }.inspected()
        }
        let a = try withSpare(1), b = try withSpare(2)
        #expect(a.parameters.last?.name == "spare")
        #expect(a.parameterCount == 68)
        #expect(a.weightsDigest != b.weightsDigest)
        #expect(a.topologyFingerprint == b.topologyFingerprint)
        #expect(a.topologyFingerprint != (try inspect(Fixture.model("mlp-v1"))).topologyFingerprint)
    }

    @Test func initializerFileOrderDoesNotMatter() throws {
        let original = try Fixture.proto("mlp-v1")
        let reordered = original.withGraph { $0.initializer.reverse() }
        let before = try original.inspected()
        let after = try reordered.inspected()
        #expect(after.weightsDigest == before.weightsDigest)
        #expect(after.topologyFingerprint == before.topologyFingerprint)
        #expect(after.parameters == before.parameters)
    }

    @Test func rawDataAndFloatDataGiveTheSameDigest() throws {
        let raw = try Fixture.proto("mlp-v1")
        try #require(raw.graph.initializer.allSatisfy { !$0.rawData.isEmpty && $0.floatData.isEmpty })
        let typed = raw.withGraph { graph in
            for index in graph.initializer.indices { Self.moveRawDataToFloatData(&graph.initializer[index]) }
        }
        try #require(typed.graph.initializer.map(\.floatData.count) == [32, 8, 24, 3])
        try #require(typed.graph.initializer.allSatisfy { $0.rawData.isEmpty })

        let a = try raw.inspected()
        let b = try typed.inspected()
        #expect(a.weightsDigest == b.weightsDigest)
        #expect(a.topologyFingerprint == b.topologyFingerprint)
    }

    @Test func externalAndInlinedWeightsGiveTheSameDigest() throws {
        let external = try inspect(Fixture.model("mlp-external/model"))
        let weights = Array(try Data(contentsOf: URL(fileURLWithPath: Fixture.path("models/mlp-external/weights.bin"))))
        let inlined = try Fixture.proto("mlp-external/model").withGraph { graph in
            for index in graph.initializer.indices {
                var tensor = graph.initializer[index]
                let entries = Dictionary(uniqueKeysWithValues: tensor.externalData.map { ($0.key, $0.value) })
                try #require(tensor.dataLocation == .external && entries["location"] == "weights.bin")
                let offset = try #require(entries["offset"].flatMap { Int($0) })
                let length = try #require(entries["length"].flatMap { Int($0) })
                tensor.rawData = Data(weights[offset..<(offset + length)])
                tensor.externalData = []
                tensor.dataLocation = .default
                graph.initializer[index] = tensor
            }
        }
        try #require(inlined.graph.initializer.map(\.rawData.count).reduce(0, +) == weights.count)

        // Loaded from a directory with no weights.bin: nothing is read from outside the proto.
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let inspection = try inlined.inspected(at: dir.file("model.onnx"))
        #expect(inspection.weightsDigest == external.weightsDigest)
        #expect(inspection.topologyFingerprint == external.topologyFingerprint)
        #expect(inspection.parameters == external.parameters)
    }

    // MARK: Once bugs: each fixed, each kept as a test

    /// Two copies of an initializer name: the second copy's values must not escape the digest.
    @Test
    func aDuplicateInitializerCannotHideValues() throws {
        var duplicate = Onnx_TensorProto()
        duplicate.name = "fc2.bias"
        duplicate.dataType = 1
        duplicate.dims = [3]
        duplicate.floatData = [1, 1, 1]
        let proto = try Fixture.proto("mlp-v1").withGraph { $0.initializer.append(duplicate) }
        // Refused outright, so no digest exists that the second copy's values could escape.
        expectWardenError(.invalidGraph, containing: "initializer 'fc2.bias' is defined twice") { _ = try proto.inspected() }
    }

    /// Sparse initializers are weights too.
    @Test
    func sparseInitializerValuesAreWeights() throws {
        func inspection(_ values: [Float]) throws -> ModelInspection {
            let proto = try Fixture.proto("mlp-v1").withGraph { graph in
                graph.initializer.remove(at: try graph.initializerIndex("fc2.bias"))
                var sparse = Onnx_SparseTensorProto()
                sparse.dims = [3]
                sparse.values.name = "fc2.bias"
                sparse.values.dataType = 1
                sparse.values.dims = [Int64(values.count)]
                sparse.values.floatData = values
                sparse.indices.dataType = 7
                sparse.indices.dims = [Int64(values.count)]
                sparse.indices.int64Data = values.indices.map(Int64.init)
                graph.sparseInitializer = [sparse]
            }
            return try proto.inspected()
        }
        let a = try inspection([1, 2, 3]), b = try inspection([1, 2, 4])
        // Accepted, and the sparse values count: one changed value changes the digest.
        #expect(a.weightsDigest != b.weightsDigest)
        #expect(a.parameters.map(\.name).contains("fc2.bias"))
    }

    /// 4-bit and string initializers skip the size check: their stored data need not fit their shape.
    @Test
    func subByteInitializersMustHoldTheirShape() throws {
        let proto = try Fixture.proto("mlp-v1").withGraph { graph in
            var packed = Onnx_TensorProto()
            packed.name = "quantized"
            packed.dataType = 22  // INT4: 1000 values need 500 bytes
            packed.dims = [1000]
            packed.rawData = Data([0x12])
            graph.initializer.append(packed)
        }
        expectWardenError(.invalidModel, containing: "initializer 'quantized' stores 1 bytes") {
            _ = try proto.inspected()
        }
    }

    /// A huge declared shape on a string or 4-bit initializer passes inspect, then parameterCount and
    /// parameterBytes overflow Int64 and trap.
    @Test(
        arguments: [8, 21]  // STRING, UINT4
    )
    func hugeDeclaredShapesDoNotTrap(dataType: Int32) async {
        await #expect(processExitsWith: .success) { [dataType] in
            let proto = try Fixture.proto("mlp-v1").withGraph { graph in
                var huge = Onnx_TensorProto()
                huge.name = "huge"
                huge.dataType = dataType
                huge.dims = [Int64.max]
                graph.initializer.append(huge)
            }
            do {
                let inspection = try proto.inspected()
                _ = inspection.parameterCount
                _ = inspection.parameterBytes
            } catch is WardenError {
                // Refusing the model is a fix too.
            }
        }
    }

    // MARK: Helpers

    /// Rewrites a float32 tensor stored in raw_data (little-endian) to the typed float_data field.
    static func moveRawDataToFloatData(_ tensor: inout Onnx_TensorProto) {
        let bytes = [UInt8](tensor.rawData)
        tensor.floatData = stride(from: 0, to: bytes.count, by: 4).map { at in
            Float(bitPattern: UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24)
        }
        tensor.rawData = Data()
    }
}
