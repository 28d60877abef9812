import Foundation
import Testing
import WardenCore
@testable import WardenONNX
@testable import WardenRuntime
@testable import WardenTensor

/// mlp-external keeps every initializer in weights.bin: fc1.weight 0..<256, fc1.bias 256..<320,
/// fc2.weight 320..<512, fc2.bias 512..<524 (hidden = 16).
@Suite struct ExternalDataTests {
    /// A private copy of mlp-external at `<tmp>/model/`, so tests can rewrite it.
    struct Workspace {
        let dir: TemporaryDirectory

        init() throws {
            dir = try TemporaryDirectory()
            try dir.copy(from: Fixture.path("models/mlp-external"), to: "model")
        }

        var modelDirectory: String { dir.file("model") }
        var modelPath: String { dir.file("model/model.onnx") }
        var weightsPath: String { dir.file("model/weights.bin") }

        /// Rewrites the external_data entries of initializer `tensor` in model.onnx.
        func rewrite(_ tensor: String, _ body: (inout Onnx_TensorProto) -> Void) throws {
            var proto = try Onnx_ModelProto(serializedBytes: Data(contentsOf: URL(fileURLWithPath: modelPath)))
            body(&proto.graph.initializer[try proto.graph.initializerIndex(tensor)])
            let data: Data = try proto.serializedBytes()
            try data.write(to: URL(fileURLWithPath: modelPath))
        }

        /// Sets (or with nil removes) one external_data entry of `tensor`.
        func set(_ key: String, _ value: String?, of tensor: String = "fc1.weight") throws {
            try rewrite(tensor) { $0.setExternal(key, value) }
        }

        func inspect() throws -> ModelInspection {
            try ONNXInspector().inspect(ONNXModel(contentsOf: modelPath))
        }
    }

    // MARK: Accepted

    @Test func inspectsAndListsTheExternalParameters() throws {
        let inspection = try inspect(Fixture.path("models/mlp-external"))
        #expect(inspection.parameters.map(\.name) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"])
        #expect(inspection.parameters.map(\.shape) == [[4, 16], [16], [16, 3], [3]])
        #expect(inspection.parameters.allSatisfy { $0.dataType == .float32 })
        #expect(inspection.parameterCount == 4 * 16 + 16 + 16 * 3 + 3)
        #expect(inspection.parameterBytes == 524)
        #expect(inspection.opCounts == ["Gemm": 2, "Relu": 1, "Softmax": 1])
    }

    @Test func resolverReturnsTheRightSlices() throws {
        let model = try ONNXModel(contentsOf: Fixture.model("mlp-external/model"))
        let weights = try Data(contentsOf: URL(fileURLWithPath: Fixture.path("models/mlp-external/weights.bin")))
        try #require(weights.count == 524)
        let resolver = ExternalDataResolver(directory: model.directory)
        let expected = ["fc1.weight": 0..<256, "fc1.bias": 256..<320, "fc2.weight": 320..<512, "fc2.bias": 512..<524]
        for tensor in model.graph.initializer {
            let range = try #require(expected[tensor.name])
            let resolved = try resolver.resolve(tensor)
            #expect(resolved.offset == range.lowerBound && resolved.length == range.count, "\(tensor.name)")
            #expect(Array(try resolver.bytes(of: tensor)) == Array(weights[range]), "\(tensor.name)")
            var streamed: [UInt8] = []
            try resolver.forEachChunk(of: tensor, chunkSize: 16) { streamed.append(contentsOf: $0) }
            #expect(streamed == Array(weights[range]), "\(tensor.name)")
        }
    }

    @Test func aMissingLengthMeansToTheEndOfTheFile() throws {
        let workspace = try Workspace()
        defer { workspace.dir.remove() }
        let before = try workspace.inspect()
        try workspace.set("length", nil, of: "fc2.bias")
        let after = try workspace.inspect()
        #expect(after.weightsDigest == before.weightsDigest)
    }

    @Test func aSymlinkThatStaysInsideIsFollowed() throws {
        let workspace = try Workspace()
        defer { workspace.dir.remove() }
        let before = try workspace.inspect()
        try workspace.dir.mkdir("model/data")
        try FileManager.default.moveItem(atPath: workspace.weightsPath, toPath: workspace.dir.file("model/data/weights.bin"))
        try workspace.dir.symlink("model/weights.bin", to: "data/weights.bin")
        #expect(try workspace.inspect().weightsDigest == before.weightsDigest)
    }

    @Test func aModelDirectoryReachedThroughASymlinkWorks() throws {
        let workspace = try Workspace()
        defer { workspace.dir.remove() }
        try workspace.dir.symlink("alias", to: workspace.modelDirectory)
        let inspection = try inspect(workspace.dir.file("alias"))
        #expect(inspection.parameterBytes == 524)
    }

    @Test func theWeightsDigestCoversTheExternalBytes() throws {
        let workspace = try Workspace()
        defer { workspace.dir.remove() }
        let before = try workspace.inspect()
        var weights = Array(try Data(contentsOf: URL(fileURLWithPath: workspace.weightsPath)))
        weights[300] ^= 0x01  // inside fc1.bias
        try Data(weights).write(to: URL(fileURLWithPath: workspace.weightsPath))
        let after = try workspace.inspect()
        #expect(after.weightsDigest != before.weightsDigest)
        #expect(after.topologyFingerprint == before.topologyFingerprint)
    }

    // MARK: Weights read in place

    /// The weights of MatMul, Gemm and Conv and the table of a Gather stay in the mapped data file;
    /// biases (read by Add or as Gemm's C) are copied, and so is a tensor whose offset is not a multiple of 4.
    @Test(arguments: [
        (Fixture.path("models/mlp-external"), ["fc1.weight", "fc2.weight"], 256 + 192),
        ("\(ExecutorTests.sklearn)/mlp-2layer-external", ["coefficient", "coefficient1", "coefficient2"], 128 + 256 + 96),
        (Fixture.path("runtime/embedding-external"), ["table"], 1600),
    ])
    func weightsReadInPlaceStayMapped(model: String, mapped: [String], bytes: Int) throws {
        let executor = try Executor(model: ONNXModel(contentsOf: model))
        let memory = executor.weightMemory
        #expect(memory.mappedNames == mapped)
        #expect(memory.mappedBytes == bytes)
        #expect(memory.heapBytes > 0)
    }

    /// The mapped weights compute what the copied ones do: the same model with every weight copied
    /// (an initializer that is also a graph output is copied, so the caller gets its own values).
    @Test func mappedAndCopiedWeightsGiveTheSameOutputs() throws {
        let path = Fixture.path("runtime/embedding-external")
        let ids = try TensorFile.read(Fixture.path("runtime/embedding-external/input.npy"))
        let mapped = try Executor(model: ONNXModel(contentsOf: path))
        let proto = try ONNXModel(contentsOf: path).proto.withGraph { graph in
            var table = Onnx_ValueInfoProto()
            table.name = "table"
            graph.output.append(table)
        }
        let copied = try Executor(model: ONNXModel(serialized: proto.serializedData(), path: "\(path)/model.onnx"))
        #expect(copied.weightMemory.mappedNames.isEmpty)
        let (a, b) = (try mapped.run(["ids": ids]), try copied.run(["ids": ids]))
        #expect(a["output"] == b["output"])
        let table = try #require(b["table"])
        guard case .float(let values) = table.storage else {
            Issue.record("the table output is not a heap copy")
            return
        }
        #expect(table.shape == [50, 8] && values == mapped.initializers["table"]?.floats)
    }

    /// Loading with fusion off maps the same weights, and the values are the file's bytes.
    @Test func mappedWeightsAreTheFilesBytes() throws {
        let model = try ONNXModel(contentsOf: Fixture.path("models/mlp-external"))
        let executor = try Executor(model: model, options: .init(threads: 1, fusion: false))
        let weights = try Data(contentsOf: URL(fileURLWithPath: Fixture.path("models/mlp-external/weights.bin")))
        let fc1 = try #require(executor.initializers["fc1.weight"])
        guard case .mappedFloat(let values) = fc1.storage else {
            Issue.record("fc1.weight was copied: \(fc1.dataType)")
            return
        }
        let expected = weights[0..<256].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        #expect(values.values == expected)
        #expect(fc1.floats == expected)
    }

    // MARK: Refused locations

    @Test func aParentDirectoryLocationIsRefused() throws {
        let workspace = try Workspace()
        defer { workspace.dir.remove() }
        // The file really is there, one level up: still refused.
        try workspace.dir.copy(from: workspace.weightsPath, to: "weights.bin")
        try workspace.set("location", "../weights.bin")
        expectWardenError(.externalDataRefused, containing: "tensor 'fc1.weight' points to '../weights.bin', which uses '..' to leave the model directory") {
            _ = try workspace.inspect()
        }
    }

    @Test func dotDotInsideALocationIsRefused() throws {
        let workspace = try Workspace()
        defer { workspace.dir.remove() }
        try workspace.dir.mkdir("model/sub")
        try workspace.set("location", "sub/../weights.bin", of: "fc2.bias")
        expectWardenError(.externalDataRefused, containing: "tensor 'fc2.bias' points to 'sub/../weights.bin', which uses '..'") {
            _ = try workspace.inspect()
        }
    }

    @Test func anAbsoluteLocationIsRefused() throws {
        let workspace = try Workspace()
        defer { workspace.dir.remove() }
        // The absolute path names the model's own, valid weights file: still refused.
        try workspace.set("location", workspace.weightsPath)
        expectWardenError(
            .externalDataRefused,
            containing: "tensor 'fc1.weight' points to the absolute path '\(workspace.weightsPath)'; locations must be relative to the model"
        ) {
            _ = try workspace.inspect()
        }
    }

    @Test func aSymlinkLeadingOutsideIsRefused() throws {
        let workspace = try Workspace()
        defer { workspace.dir.remove() }
        let outside = try workspace.dir.copy(from: workspace.weightsPath, to: "elsewhere/secret.bin")
        try workspace.dir.symlink("model/link.bin", to: "../elsewhere/secret.bin")
        try workspace.set("location", "link.bin")
        expectWardenError(
            .externalDataRefused,
            containing: "tensor 'fc1.weight' points to 'link.bin', which leads outside the model directory (to '\(outside)')"
        ) {
            _ = try workspace.inspect()
        }
    }

    @Test func anAbsoluteSymlinkToASystemFileIsRefused() throws {
        let workspace = try Workspace()
        defer { workspace.dir.remove() }
        try FileManager.default.removeItem(atPath: workspace.weightsPath)
        try workspace.dir.symlink("model/weights.bin", to: "/etc/passwd")
        expectWardenError(.externalDataRefused, containing: ["points to 'weights.bin'", "leads outside the model directory"]) {
            _ = try workspace.inspect()
        }
    }

    @Test func aMissingFileIsRefused() throws {
        let workspace = try Workspace()
        defer { workspace.dir.remove() }
        try workspace.set("location", "missing.bin", of: "fc2.weight")
        expectWardenError(
            .externalDataRefused,
            containing: "tensor 'fc2.weight' points to 'missing.bin', which does not exist beside the model; copy the data file next to the .onnx file"
        ) {
            _ = try workspace.inspect()
        }
    }

    @Test func aModelCopiedWithoutItsDataFileSaysSo() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.copy(from: Fixture.model("mlp-external/model"), to: "alone/model.onnx")
        expectWardenError(.externalDataRefused, containing: "points to 'weights.bin', which does not exist beside the model") {
            _ = try inspect(dir.file("alone"))
        }
    }

    @Test func aDirectoryIsNotADataFile() throws {
        let workspace = try Workspace()
        defer { workspace.dir.remove() }
        try workspace.dir.mkdir("model/shards")
        try workspace.set("location", "shards")
        expectWardenError(.externalDataRefused, containing: "tensor 'fc1.weight' points to 'shards', which is not a regular file") {
            _ = try workspace.inspect()
        }
    }

    @Test func theModelDirectoryItselfIsNotADataFile() throws {
        let workspace = try Workspace()
        defer { workspace.dir.remove() }
        try workspace.set("location", ".")
        expectWardenError(.externalDataRefused, containing: "tensor 'fc1.weight' points to '.'") {
            _ = try workspace.inspect()
        }
    }

    @Test func aBackslashIsRefused() throws {
        let workspace = try Workspace()
        defer { workspace.dir.remove() }
        try workspace.set("location", "..\\weights.bin")
        expectWardenError(.externalDataRefused, containing: "points to '..\\weights.bin', which contains a backslash") {
            _ = try workspace.inspect()
        }
    }

    @Test func aNulByteIsRefused() throws {
        let workspace = try Workspace()
        defer { workspace.dir.remove() }
        try workspace.set("location", "weights.bin\u{0}.txt")
        expectWardenError(.externalDataRefused, containing: "tensor 'fc1.weight' points to a location containing a NUL byte") {
            _ = try workspace.inspect()
        }
    }

    @Test func noLocationIsRefused() throws {
        let workspace = try Workspace()
        defer { workspace.dir.remove() }
        try workspace.set("location", nil, of: "fc1.bias")
        expectWardenError(.externalDataRefused, containing: "tensor 'fc1.bias' is stored externally but names no location") {
            _ = try workspace.inspect()
        }
        try workspace.set("location", "", of: "fc1.bias")
        expectWardenError(.externalDataRefused, containing: "tensor 'fc1.bias' is stored externally but names no location") {
            _ = try workspace.inspect()
        }
    }

    // MARK: Refused ranges

    @Test(arguments: [("offset", "-4"), ("offset", "abc"), ("offset", "1e3"), ("length", "-1"), ("length", "twelve")])
    func aRangeThatIsNotANumberIsRefused(key: String, value: String) throws {
        let workspace = try Workspace()
        defer { workspace.dir.remove() }
        try workspace.set(key, value, of: "fc2.bias")
        expectWardenError(.externalDataRefused, containing: "tensor 'fc2.bias' has \(key) '\(value)', which is not a non-negative integer") {
            _ = try workspace.inspect()
        }
    }

    @Test func anOffsetPastTheEndIsRefused() throws {
        let workspace = try Workspace()
        defer { workspace.dir.remove() }
        try workspace.set("offset", "1000")
        expectWardenError(
            .externalDataRefused,
            containing: "tensor 'fc1.weight' reads 256 bytes from offset 1000 of 'weights.bin', which has only 524 bytes; the data file is truncated or does not belong to this model"
        ) {
            _ = try workspace.inspect()
        }
    }

    @Test func anOffsetPastTheEndWithoutALengthIsRefused() throws {
        let workspace = try Workspace()
        defer { workspace.dir.remove() }
        try workspace.set("length", nil, of: "fc2.bias")
        try workspace.set("offset", "600", of: "fc2.bias")
        expectWardenError(.externalDataRefused, containing: ["tensor 'fc2.bias' reads the rest from offset 600", "which has only 524 bytes"]) {
            _ = try workspace.inspect()
        }
    }

    @Test func aLengthPastTheEndIsRefused() throws {
        let workspace = try Workspace()
        defer { workspace.dir.remove() }
        try workspace.set("length", "100", of: "fc2.bias")
        expectWardenError(.externalDataRefused, containing: "tensor 'fc2.bias' reads 100 bytes from offset 512 of 'weights.bin', which has only 524 bytes") {
            _ = try workspace.inspect()
        }
    }

    @Test func aTruncatedDataFileIsRefused() throws {
        let workspace = try Workspace()
        defer { workspace.dir.remove() }
        let weights = try Data(contentsOf: URL(fileURLWithPath: workspace.weightsPath))
        try weights.prefix(500).write(to: URL(fileURLWithPath: workspace.weightsPath))
        expectWardenError(
            .externalDataRefused,
            containing: "tensor 'fc2.weight' reads 192 bytes from offset 320 of 'weights.bin', which has only 500 bytes; the data file is truncated"
        ) {
            _ = try workspace.inspect()
        }
    }

    @Test func anEmptyDataFileIsRefused() throws {
        let workspace = try Workspace()
        defer { workspace.dir.remove() }
        try Data().write(to: URL(fileURLWithPath: workspace.weightsPath))
        expectWardenError(.externalDataRefused, containing: "tensor 'fc1.weight' reads 256 bytes from offset 0 of 'weights.bin', which has only 0 bytes") {
            _ = try workspace.inspect()
        }
    }

    /// A data file that grew after it was mapped: a range inside the new size but past the mapping is refused, not read.
    @Test func aRangePastTheMappingIsRefused() throws {
        let workspace = try Workspace()
        defer { workspace.dir.remove() }
        let model = try ONNXModel(contentsOf: workspace.modelPath)
        let resolver = ExternalDataResolver(directory: model.directory)
        var tensor = try #require(model.graph.initializer.first { $0.name == "fc1.weight" })
        _ = try resolver.bytes(of: tensor)  // maps the 524-byte file
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: workspace.weightsPath))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(repeating: 0, count: 64))
        try handle.close()
        tensor.setExternal("offset", "524")
        tensor.setExternal("length", "64")
        expectWardenError(.externalDataRefused, containing: "which now has only 524 bytes; the data file changed while the model was loading") {
            _ = try resolver.bytes(of: tensor)
        }
    }

    /// In bounds, but not the size the tensor's shape needs.
    @Test func aRangeThatDoesNotFitTheShapeIsCorrupt() throws {
        let workspace = try Workspace()
        defer { workspace.dir.remove() }
        try workspace.set("length", "252")
        expectWardenError(.invalidModel, containing: "initializer 'fc1.weight' stores 252 bytes but its shape [4, 16] of float32 needs 256") {
            _ = try workspace.inspect()
        }
    }

    /// `offset + length` overflows Int while the error message is built, which traps instead of refusing.
    @Test(
        arguments: [(String(Int.max), "1"), ("10", String(Int.max))]
    )
    func aRangeThatOverflowsIsRefusedNotATrap(offset: String, length: String) async {
        // In a child process: the bug is a trap, which would otherwise end the whole test run.
        await #expect(processExitsWith: .success) { [offset, length] in
            let proto = try Fixture.proto("mlp-external/model").withGraph { graph in
                graph.initializer[0].setExternal("offset", offset)
                graph.initializer[0].setExternal("length", length)
            }
            do {
                _ = try proto.inspected(at: Fixture.model("mlp-external/model"))
            } catch let error as WardenError where error.code == .externalDataRefused {
                return
            }
            exit(EXIT_FAILURE)
        }
    }
}

extension Onnx_TensorProto {
    /// Sets (or with nil removes) one `external_data` entry.
    mutating func setExternal(_ key: String, _ value: String?) {
        externalData.removeAll { $0.key == key }
        guard let value else { return }
        var entry = Onnx_StringStringEntryProto()
        entry.key = key
        entry.value = value
        externalData.append(entry)
    }
}
