import WardenCore

/// The optional `warden.yaml` in a model directory: what the model is, what it
/// takes and returns, where it came from and how to serve it.
///
/// For ONNX models the IO signature comes from the graph; a card that declares
/// inputs or outputs must agree with it (`check(against:)`). For formats whose
/// files carry no signature (`wasm`), the card's IO is the signature.
/// The format is documented in `docs/model-card.md`.
///
/// ```yaml
/// name: fraud-detector
/// format: onnx
/// inputs:
///   - {name: features, dtype: float32, shape: [batch, 30]}
/// labels: [legit, fraud]
/// lineage:
///   parent: fraud-detector@1.3.0
///   dataset: sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
/// ```
public struct ModelCard: Sendable, Hashable {
    /// The card's file name inside a model directory.
    public static let fileName = "warden.yaml"

    /// Where a model version came from.
    public struct Lineage: Sendable, Hashable {
        /// The version this one was derived from (`name@version`).
        public var parent: ModelReference?
        /// Digest of the training dataset.
        public var dataset: Digest?
        /// The training code's revision (a git commit, a tag).
        public var codeRevision: String?
        /// The training run (an MLflow or W&B run URL).
        public var runURL: String?

        public init(parent: ModelReference? = nil, dataset: Digest? = nil, codeRevision: String? = nil, runURL: String? = nil) {
            self.parent = parent
            self.dataset = dataset
            self.codeRevision = codeRevision
            self.runURL = runURL
        }
    }

    public var name: String?
    public var description: String?
    /// `onnx`, `wasm`; nil to infer it from the files.
    public var format: ModelFormat?
    /// The framework that produced the model (`pytorch 2.5`, `scikit-learn 1.6`).
    public var framework: String?
    public var inputs: [TensorSpec]?
    public var outputs: [TensorSpec]?
    /// Class labels, in output index order.
    public var labels: [String]?
    public var lineage: Lineage?
    /// Serving settings. Accepted as a free-form mapping now; the serving issue gives its keys meaning.
    public var serving: [String: CardValue]?
    /// Output contracts, per output name: rules each answer must keep (checked by the server).
    public var contracts: [String: CardValue]?
    /// Reference histograms of input features, per input name, for drift (PSI) while serving.
    public var drift: [String: CardValue]?
    /// A WASM module in the model directory (`pre.wasm`, `pre.wat`) that turns the request's
    /// inputs into the model's; the card's `inputs` are then the pipeline's (docs/wasm-abi.md).
    public var preprocess: String?
    /// A WASM module that turns the model's outputs into the answer; the card's `outputs`
    /// are then the pipeline's.
    public var postprocess: String?
    /// Limits on every call into the model's WASM modules: `fuel`, `max_memory_pages`, `timeout_ms`.
    public var sandbox: [String: CardValue]?
    /// Anything else the team wants to keep with the model.
    public var metadata: [String: CardValue]

    public init(
        name: String? = nil, description: String? = nil, format: ModelFormat? = nil, framework: String? = nil,
        inputs: [TensorSpec]? = nil, outputs: [TensorSpec]? = nil, labels: [String]? = nil,
        lineage: Lineage? = nil, serving: [String: CardValue]? = nil, metadata: [String: CardValue] = [:]
    ) {
        self.name = name
        self.description = description
        self.format = format
        self.framework = framework
        self.inputs = inputs
        self.outputs = outputs
        self.labels = labels
        self.lineage = lineage
        self.serving = serving
        self.metadata = metadata
    }
}

/// A model's file format.
public struct ModelFormat: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let onnx = ModelFormat(rawValue: "onnx")
    public static let wasm = ModelFormat(rawValue: "wasm")
    public static let known: [ModelFormat] = [.onnx, .wasm]
}
