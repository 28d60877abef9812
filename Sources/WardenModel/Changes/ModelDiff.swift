import WardenCore
import WardenIntegrity
import WardenONNX

/// The full difference between two models, as `warden diff` reports it:
/// files by digest, the change assessment and its required bump, and for ONNX
/// each initializer's shape or value change.
///
/// ```swift
/// let diff = try ModelDiff(from: "fraud-1.4.0", to: "fraud-1.5.0")
/// print(diff.assessment.required)   // MINOR
/// ```
public struct ModelDiff: Sendable {
    public let old: ModelDescription
    public let new: ModelDescription
    public let assessment: ChangeAssessment
    /// Per-initializer changes; empty for formats other than ONNX.
    public let initializers: [InitializerChange]

    /// Reads, inspects and hashes both models, then compares their values.
    /// - Throws: `WardenError` when either model cannot be read.
    public init(from oldPath: String, to newPath: String, hasher: ModelHasher = ModelHasher()) throws {
        let old = try ModelDescription(contentsOf: oldPath).withFileDigests(hasher: hasher)
        let new = try ModelDescription(contentsOf: newPath).withFileDigests(hasher: hasher)
        try self.init(old: old, new: new)
    }

    public init(old: ModelDescription, new: ModelDescription) throws {
        self.old = old
        self.new = new
        assessment = ChangeAssessment(from: old, to: new)
        if let a = old.onnxModel, let ai = old.onnx, let b = new.onnxModel, let bi = new.onnx, ai.weightsDigest != bi.weightsDigest || ai.topologyFingerprint != bi.topologyFingerprint {
            initializers = try InitializerComparison.changes(from: a, ai, to: b, bi)
        } else {
            initializers = []
        }
    }
}
