import Foundation
import WardenCore
import WardenIntegrity
import WardenONNX

/// What Warden knows about one model: its card, format, IO signature, and for
/// ONNX the inspection (topology fingerprint, weights digest, parameters).
///
/// This is what the semver rule compares, so it holds no weights: a registry
/// can keep it beside a version and judge the next version from it alone.
///
/// ```swift
/// let model = try ModelDescription(contentsOf: "models/fraud")   // a directory or a .onnx file
/// print(model.signature.inputs, model.onnx?.topologyFingerprint)
/// ```
public struct ModelDescription: Sendable {
    /// The path it was read from.
    public let path: String
    public let format: ModelFormat
    public let card: ModelCard?
    /// The inspection, for ONNX models.
    public let onnx: ModelInspection?
    /// Inputs and outputs: from the graph for ONNX, from the card otherwise.
    public let signature: IOSignature
    /// The files that make up the model proper, relative to the model directory:
    /// the `.onnx` file and its external data, or the `.wasm` module.
    public let modelFiles: Set<String>
    /// Every file's SHA-256, relative to the model directory; filled by `withFileDigests()`.
    public private(set) var files: [String: Digest]?

    /// The model in memory, for callers that go on to compare its values.
    public let onnxModel: ONNXModel?

    /// Files a diff and the rule leave out: signatures sit beside the model they sign.
    public static let ignoredFiles: Set<String> = ["model.sig"]

    /// Reads and inspects a model directory or a single model file.
    ///
    /// Reads every weight byte once (for the weights digest), streaming
    /// external data; hashes no files (see `withFileDigests()`).
    /// - Throws: `WardenError`: `.pathNotFound`, `.invalidModel`, `.invalidGraph`,
    ///   `.externalDataRefused`, `.invalidCard`, `.cardContradictsModel`.
    public init(contentsOf path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw WardenError(.pathNotFound, "'\(path)' does not exist; pass a model directory or an .onnx file")
        }
        self.path = path
        let card = isDirectory.boolValue ? try ModelCard.load(fromDirectory: path) : nil
        self.card = card
        let format = try card?.format ?? Self.inferFormat(path, isDirectory: isDirectory.boolValue)
        self.format = format

        switch format {
        case .onnx:
            let model = try ONNXModel(contentsOf: path)
            let inspection = try ONNXInspector().inspect(model)
            // With a preprocess (postprocess) module the card's inputs (outputs) are the
            // pipeline's, which the graph does not have; the other side must still agree.
            var checked = card
            if card?.preprocess != nil { checked?.inputs = nil }
            if card?.postprocess != nil { checked?.outputs = nil }
            try checked?.check(against: inspection.signature)
            onnxModel = model
            onnx = inspection
            signature = try Self.pipelineSignature(card: card, model: inspection.signature)
            let base = isDirectory.boolValue ? URL(fileURLWithPath: path).standardizedFileURL.path : model.directory
            var files: Set<String> = [Self.relative(model.path, to: base, isDirectory: isDirectory.boolValue)]
            for tensor in model.graph.initializer where tensor.dataLocation == .external {
                if let reference = try? ExternalDataResolver.reference(of: tensor) { files.insert(reference.location) }
            }
            modelFiles = files.union(try Self.stageFiles(card: card, in: path, isDirectory: isDirectory.boolValue))
        default:
            guard let inputs = card?.inputs, let outputs = card?.outputs else {
                throw WardenError(.invalidCard, "\(ModelCard.fileName): a \(format) model's card must declare inputs and outputs (name, dtype, shape); the files do not say them")
            }
            onnxModel = nil
            onnx = nil
            signature = IOSignature(inputs: inputs, outputs: outputs)
            modelFiles = isDirectory.boolValue
                ? Set(((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".wasm") || $0.hasSuffix(".wat") })
                : [URL(fileURLWithPath: path).lastPathComponent]
        }
    }

    /// The same description with every file's digest, for diffs of non-model files.
    /// Reads every byte of the model once more.
    public func withFileDigests(hasher: ModelHasher = ModelHasher()) throws -> ModelDescription {
        var copy = self
        let ignored = Self.ignoredFiles.map { (path as NSString).appendingPathComponent($0) }
        let manifest = try hasher.manifest(of: path, alsoIgnoring: ignored)
        copy.files = Dictionary(manifest.resources.map { ($0.path, $0.digest) }, uniquingKeysWith: { first, _ in first })
        return copy
    }

    /// The same description with file digests already known (a registry knows them from its blobs).
    public func withFileDigests(_ digests: [String: Digest]) -> ModelDescription {
        var copy = self
        copy.files = digests.filter { !Self.ignoredFiles.contains($0.key) }
        return copy
    }

    /// The signature clients see: the card's inputs when a preprocess module takes the
    /// request, the card's outputs when a postprocess module gives the answer, the model's otherwise.
    static func pipelineSignature(card: ModelCard?, model: IOSignature) throws -> IOSignature {
        var inputs = model.inputs, outputs = model.outputs
        if let preprocess = card?.preprocess {
            guard let declared = card?.inputs, !declared.isEmpty else {
                throw WardenError(.invalidCard, "\(ModelCard.fileName): inputs: a card with preprocess (\(preprocess)) must declare the inputs the module takes: they are what clients send")
            }
            inputs = declared
        }
        if let postprocess = card?.postprocess {
            guard let declared = card?.outputs, !declared.isEmpty else {
                throw WardenError(.invalidCard, "\(ModelCard.fileName): outputs: a card with postprocess (\(postprocess)) must declare the outputs the module gives: they are what clients get")
            }
            outputs = declared
        }
        return IOSignature(inputs: inputs, outputs: outputs)
    }

    /// The preprocess and postprocess modules the card names, which must be in the directory.
    static func stageFiles(card: ModelCard?, in path: String, isDirectory: Bool) throws -> Set<String> {
        var files: Set<String> = []
        for (key, file) in [("preprocess", card?.preprocess), ("postprocess", card?.postprocess)] {
            guard let file else { continue }
            let full = (path as NSString).appendingPathComponent(file)
            guard isDirectory, FileManager.default.fileExists(atPath: full) else {
                throw WardenError(.invalidCard, "\(ModelCard.fileName): \(key): '\(file)' is not in the model directory; put the module beside warden.yaml")
            }
            files.insert(file)
        }
        return files
    }

    static func inferFormat(_ path: String, isDirectory: Bool) throws -> ModelFormat {
        let names = isDirectory ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []) : [path]
        if names.contains(where: { $0.hasSuffix(".onnx") }) { return .onnx }
        if names.contains(where: { $0.hasSuffix(".wasm") || $0.hasSuffix(".wat") }) { return .wasm }
        // Formats people push by mistake, named so the message says what to do.
        let foreign = [".safetensors": "safetensors", ".pt": "PyTorch", ".pth": "PyTorch", ".bin": "PyTorch/raw weights",
                       ".gguf": "GGUF", ".tflite": "TensorFlow Lite", ".pb": "TensorFlow", ".h5": "Keras", ".keras": "Keras",
                       ".pkl": "pickle", ".joblib": "joblib", ".ckpt": "checkpoint"]
        let found = names.sorted().compactMap { name in
            foreign.first { name.lowercased().hasSuffix($0.key) }.map { "\(name) (\($0.value))" }
        }
        let advice = found.isEmpty
            ? ""
            : "; it holds \(found.prefix(3).joined(separator: ", ")), which Warden cannot read yet: export the model to ONNX (torch.onnx.export, tf2onnx, skl2onnx) and push the .onnx file's folder"
        throw WardenError(
            .invalidModel,
            isDirectory
                ? "'\(path)' holds no .onnx or .wasm file and no \(ModelCard.fileName) naming a format\(advice.isEmpty ? "; pass a model directory" : advice)"
                : "'\(path)' is not a model file Warden knows (.onnx, .wasm)\(advice)"
        )
    }

    private static func relative(_ file: String, to base: String, isDirectory: Bool) -> String {
        guard isDirectory else { return "." }
        let full = URL(fileURLWithPath: file).standardizedFileURL.path
        return full.hasPrefix(base + "/") ? String(full.dropFirst(base.count + 1)) : URL(fileURLWithPath: file).lastPathComponent
    }
}
