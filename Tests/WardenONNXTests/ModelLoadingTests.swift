import Foundation
import Testing
import WardenCore
@testable import WardenONNX
@testable import WardenRuntime
@testable import WardenTensor

@Suite struct ModelLoadingTests {
    @Test(arguments: Fixture.singleFileModels + ["mlp-external/model"])
    func loadsEveryFixture(name: String) throws {
        let path = Fixture.model(name)
        let model = try ONNXModel(contentsOf: path)
        #expect(model.path == path)
        #expect(model.directory == (path as NSString).deletingLastPathComponent)
        #expect(model.proto.irVersion == 8)
        #expect(model.proto.producerName == "warden-fixtures")
        #expect(model.graph.name == "mlp")
        #expect(model.graph.output.map(\.name) == ["probabilities"])
        #expect(model.graph.node.last?.opType == "Softmax")
    }

    @Test func aDirectoryLoadsItsModelOnnx() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.copy(from: Fixture.model("mlp-v1"), to: "m/model.onnx")
        // A second .onnx file does not make it ambiguous: model.onnx is the main one.
        try dir.copy(from: Fixture.model("mlp-extra-layer"), to: "m/a-draft.onnx")

        let model = try ONNXModel(contentsOf: dir.file("m"))
        #expect(model.path == dir.file("m/model.onnx"))
        #expect(model.directory == dir.file("m"))
        #expect(model.graph.node.count == 4)
    }

    @Test func aDirectoryWithOneOnnxFileLoadsIt() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.copy(from: Fixture.model("mlp-extra-layer"), to: "m/classifier.onnx")
        try dir.write("m/README.md", "not a model")

        let model = try ONNXModel(contentsOf: dir.file("m"))
        #expect(model.path == dir.file("m/classifier.onnx"))
        #expect(model.graph.node.count == 6)
    }

    @Test func aDirectoryWithSeveralOnnxFilesNamesThem() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.copy(from: Fixture.model("mlp-v1"), to: "m/encoder.onnx")
        try dir.copy(from: Fixture.model("mlp-v1-retrained"), to: "m/decoder.onnx")

        expectWardenError(.invalidModel, containing: ["holds several .onnx files", "(decoder.onnx, encoder.onnx)", "model.onnx"]) {
            _ = try ONNXModel(contentsOf: dir.file("m"))
        }
    }

    @Test func aDirectoryWithNoOnnxFileSaysSo() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("m/weights.bin", [1, 2, 3])

        expectWardenError(.invalidModel, containing: ["'\(dir.file("m"))' holds no .onnx file", "pass the model file itself"]) {
            _ = try ONNXModel(contentsOf: dir.file("m"))
        }
    }

    @Test func aMissingPathIsNotFound() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let missing = dir.file("nope/model.onnx")

        expectWardenError(.pathNotFound, containing: ["'\(missing)' does not exist", "pass an .onnx file or a model directory"]) {
            _ = try ONNXModel(contentsOf: missing)
        }
    }

    /// Cuts inside the graph, inside the last field, and one byte short: every cut is refused.
    @Test(arguments: Fixture.singleFileModels + ["mlp-external/model"])
    func aTruncatedFileIsRefused(name: String) throws {
        let bytes = try Fixture.bytes(name)
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cuts = [1, 2, 3, 7, 20, 40, bytes.count / 3, bytes.count / 2, bytes.count - 100, bytes.count - 3, bytes.count - 1]
        for cut in cuts {
            let path = try dir.write("cut-\(cut).onnx", bytes.prefix(cut))
            expectWardenError(.invalidModel, containing: ["'\(path)' is not an ONNX model", "re-export the model"]) {
                _ = try ONNXModel(contentsOf: path)
            }
        }
    }

    /// A cut inside a length-delimited field is a protobuf error, not a missing field.
    @Test func aCutInsideTheGraphIsReportedAsTruncated() throws {
        let bytes = try Fixture.bytes("mlp-v1")
        let path = "/models/mlp-v1.onnx"
        expectWardenError(.invalidModel, containing: ["'\(path)' is not an ONNX model: the protobuf is truncated or garbled"]) {
            _ = try ONNXModel(serialized: Data(bytes.prefix(bytes.count / 2)), path: path)
        }
    }

    /// A cut just before the trailing opset_import parses as a protobuf but is no model.
    @Test func aCutAtAFieldBoundaryNamesTheMissingField() throws {
        let bytes = try Fixture.bytes("mlp-v1")
        // The file ends with one opset_import field: tag 0x42 (field 8, length-delimited), a one-byte length, the message.
        let start = try #require(bytes.indices.last { bytes[$0] == 0x42 && $0 + 1 < bytes.count && Int(bytes[$0 + 1]) == bytes.count - $0 - 2 })
        try #require(try Fixture.proto("mlp-v1").opsetImport.count == 1)

        expectWardenError(.invalidModel, containing: ["is not an ONNX model: it has no opset_import"]) {
            _ = try ONNXModel(serialized: Data(bytes[..<start]), path: "m.onnx")
        }
    }

    @Test func fieldsEveryModelHasAreRequired() throws {
        var noIRVersion = try Fixture.proto("mlp-v1")
        noIRVersion.irVersion = 0
        expectWardenError(.invalidModel, containing: "it has no ir_version") { _ = try noIRVersion.loaded() }

        var noGraph = try Fixture.proto("mlp-v1")
        noGraph.clearGraph()
        expectWardenError(.invalidModel, containing: "it has no graph") { _ = try noGraph.loaded() }

        var noOpsets = try Fixture.proto("mlp-v1")
        noOpsets.opsetImport = []
        expectWardenError(.invalidModel, containing: "it has no opset_import") { _ = try noOpsets.loaded() }
    }

    @Test func garbledBytesAreRefused() throws {
        var bytes = try Fixture.bytes("mlp-v1")
        // The graph field's length prefix claims more bytes than the file holds.
        let graphTag = try #require(bytes.firstIndex(of: 0x3A))
        bytes[graphTag + 1] = 0xFF
        bytes[graphTag + 2] = 0x7F
        expectWardenError(.invalidModel, containing: ["is not an ONNX model: the protobuf is truncated or garbled", "re-export the model"]) {
            _ = try ONNXModel(serialized: Data(bytes), path: "garbled.onnx")
        }

        // Every byte replaced by an invalid wire type (7).
        let junk = [UInt8](repeating: 0x0F, count: 64)
        expectWardenError(.invalidModel, containing: "'junk.onnx' is not an ONNX model: the protobuf is truncated or garbled") {
            _ = try ONNXModel(serialized: Data(junk), path: "junk.onnx")
        }
    }

    @Test(arguments: [
        ("png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52] as [UInt8]),
        ("text", Array("hello".utf8)),
        ("json", Array(#"{"ir_version": 8, "graph": {}}"#.utf8)),
        ("zip", [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00]),
        ("empty", []),
        ("zeros", [UInt8](repeating: 0, count: 32)),
    ])
    func aFileThatIsNotOnnxIsRefused(kind: String, bytes: [UInt8]) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("\(kind).onnx", bytes)
        expectWardenError(.invalidModel, containing: ["'\(path)' is not an ONNX model", "re-export the model"]) {
            _ = try ONNXModel(contentsOf: path)
        }
    }

    @Test func anEmptyFileHasNoIRVersion() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("empty.onnx", [UInt8]())
        expectWardenError(.invalidModel, containing: "'\(path)' is not an ONNX model: it has no ir_version") {
            _ = try ONNXModel(contentsOf: path)
        }
    }

    /// Nesting deeper than the decoder's limit is refused instead of overflowing the stack.
    @Test func deeplyNestedGraphsAreRefused() throws {
        var proto = try Fixture.proto("mlp-v1")
        var graph = proto.graph
        for level in 0..<80 {
            var attribute = Onnx_AttributeProto()
            attribute.name = "then_branch"
            attribute.type = .graph
            attribute.g = graph
            var node = Onnx_NodeProto()
            node.opType = "If"
            node.name = "if\(level)"
            node.attribute = [attribute]
            var outer = Onnx_GraphProto()
            outer.name = "level\(level)"
            outer.node = [node]
            graph = outer
        }
        proto.graph = graph
        expectWardenError(.invalidModel, containing: "is not an ONNX model: the protobuf is truncated or garbled") {
            _ = try proto.loaded()
        }
    }
}
