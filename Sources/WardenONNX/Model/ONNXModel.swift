import Foundation
import SwiftProtobuf
import WardenCore

/// A parsed ONNX model and the directory its external data lives in.
///
/// The `.onnx` file is memory-mapped while it is parsed; external tensor data
/// is resolved lazily through `ExternalDataResolver` and also stays mapped,
/// never copied.
public struct ONNXModel: Sendable {
    public let proto: Onnx_ModelProto
    /// The `.onnx` file.
    public let path: String
    /// The directory external data locations are relative to.
    public let directory: String

    /// Loads `path`: a `.onnx` file, or a directory holding `model.onnx` or exactly one `*.onnx`.
    /// - Throws: `WardenError` `.pathNotFound`, `.invalidModel` for anything that is not a valid ONNX protobuf.
    public init(contentsOf path: String) throws {
        let file = try Self.locateModelFile(path)
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file), options: .alwaysMapped)
        } catch {
            throw WardenError(.unreadableFile, "cannot read '\(file)': \(error.localizedDescription)", cause: error)
        }
        try self.init(serialized: data, path: file)
    }

    /// Parses serialized ModelProto bytes; `path` names the file in errors and anchors external data.
    public init(serialized data: Data, path: String) throws {
        let proto: Onnx_ModelProto
        do {
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = 64
            proto = try Onnx_ModelProto(serializedBytes: data, options: options)
        } catch {
            throw WardenError(
                .invalidModel,
                "'\(path)' is not an ONNX model: the protobuf is truncated or garbled (\(error)); re-export the model",
                cause: error
            )
        }
        // Protobuf accepts many byte strings as messages of unknown fields: require what every model has.
        guard proto.irVersion > 0, proto.hasGraph, !proto.opsetImport.isEmpty else {
            throw WardenError(
                .invalidModel,
                "'\(path)' is not an ONNX model: it has no \(proto.irVersion <= 0 ? "ir_version" : proto.hasGraph ? "opset_import" : "graph"); re-export the model"
            )
        }
        self.proto = proto
        self.path = path
        self.directory = URL(fileURLWithPath: path).deletingLastPathComponent().standardizedFileURL.path
    }

    public var graph: Onnx_GraphProto { proto.graph }

    package static func locateModelFile(_ path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw WardenError(.pathNotFound, "'\(path)' does not exist; pass an .onnx file or a model directory")
        }
        guard isDirectory.boolValue else { return path }
        let candidates = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".onnx") }.sorted()
        if candidates.contains("model.onnx") { return (path as NSString).appendingPathComponent("model.onnx") }
        guard candidates.count == 1 else {
            throw WardenError(
                .invalidModel,
                candidates.isEmpty
                    ? "'\(path)' holds no .onnx file; pass the model file itself"
                    : "'\(path)' holds several .onnx files (\(candidates.joined(separator: ", "))); name one, or call the main one model.onnx"
            )
        }
        return (path as NSString).appendingPathComponent(candidates[0])
    }
}
