import WardenCore
import WardenTensor

/// What changed between two versions of a model, and the SemVer level that
/// change requires. Computed from two `ModelDescription`s alone: no weights are read.
///
/// The levels:
/// - MAJOR: any breaking IO change (an input removed or renamed, a new required
///   input, an output removed, a dtype changed, a fixed dim changed);
/// - MINOR: the topology changed (ops, attributes, wiring, initializer shapes,
///   opsets), a compatible IO change (a new output, a dim relaxed to dynamic), or
///   a new model format;
/// - PATCH: only trained values or non-model files (the card, a README) changed;
/// - NONE: identical.
public struct ChangeAssessment: Sendable {
    /// Node count per op type, before and after.
    public struct OpCountChange: Sendable, Hashable {
        public let op: String
        public let before: Int
        public let after: Int
    }

    public struct FileChanges: Sendable, Hashable {
        public var added: [String] = []
        public var removed: [String] = []
        public var changed: [String] = []
        public var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }
    }

    public let required: ChangeLevel
    /// Why the level is what it is, most significant first: the sentences a reviewer reads.
    public let reasons: [String]
    public let ioChanges: [IOChange]
    public let formatChanged: Bool
    public let topologyChanged: Bool
    public let opCountChanges: [OpCountChange]
    public let opsetChanges: [String]
    public let weightsChanged: Bool
    /// Nil unless both descriptions carry file digests.
    public let files: FileChanges?

    public init(from old: ModelDescription, to new: ModelDescription) {
        formatChanged = old.format != new.format
        ioChanges = old.signature.changes(to: new.signature)

        var opChanges: [OpCountChange] = []
        var opsets: [String] = []
        if let a = old.onnx, let b = new.onnx {
            topologyChanged = a.topologyFingerprint != b.topologyFingerprint
            weightsChanged = a.weightsDigest != b.weightsDigest
            for op in Set(a.opCounts.keys).union(b.opCounts.keys).sorted() {
                let before = a.opCounts[op] ?? 0
                let after = b.opCounts[op] ?? 0
                if before != after { opChanges.append(.init(op: op, before: before, after: after)) }
            }
            let before = Dictionary(a.opsets.map { ($0.domain, $0.version) }, uniquingKeysWith: max)
            let after = Dictionary(b.opsets.map { ($0.domain, $0.version) }, uniquingKeysWith: max)
            for domain in Set(before.keys).union(after.keys).sorted() where before[domain] != after[domain] {
                opsets.append("\(domain) opset \(before[domain].map(String.init) ?? "none") -> \(after[domain].map(String.init) ?? "none")")
            }
        } else {
            // Formats Warden cannot look inside: any change to the model files may change behaviour as code does.
            topologyChanged = formatChanged || old.modelFileDigests != new.modelFileDigests
            weightsChanged = false
        }
        opCountChanges = opChanges
        opsetChanges = opsets

        if let a = old.files, let b = new.files {
            var changes = FileChanges()
            changes.removed = a.keys.filter { b[$0] == nil }.sorted()
            changes.added = b.keys.filter { a[$0] == nil }.sorted()
            changes.changed = a.keys.filter { b[$0] != nil && b[$0] != a[$0] }.sorted()
            files = changes
        } else {
            files = nil
        }

        var reasons: [String] = []
        let breaking = ioChanges.filter(\.isBreaking)
        let compatible = ioChanges.filter { !$0.isBreaking }
        reasons += breaking.map { "breaking: \($0.detail)" }
        if formatChanged { reasons.append("format changed: \(old.format) -> \(new.format)") }
        if topologyChanged {
            let summary = opChanges.map { "\($0.op) \($0.before) -> \($0.after)" } + opsets
            reasons.append("topology changed" + (summary.isEmpty ? " (same op counts: wiring, attributes or initializer shapes differ)" : ": " + summary.joined(separator: ", ")))
        }
        reasons += compatible.map { "compatible: \($0.detail)" }
        if weightsChanged { reasons.append("trained values changed") }
        if let files, !files.isEmpty {
            let other = (files.added + files.removed + files.changed).filter { !new.modelFiles.contains($0) && !old.modelFiles.contains($0) }
            if !other.isEmpty { reasons.append("files changed: \(other.joined(separator: ", "))") }
            let model = (files.added + files.removed + files.changed).filter { new.modelFiles.contains($0) || old.modelFiles.contains($0) }
            if !model.isEmpty, !topologyChanged, !weightsChanged, !formatChanged {
                reasons.append("model file bytes changed with the same structure and values (names, doc strings or metadata)")
            }
        }
        let cardChanged = old.card != new.card
        if cardChanged, files == nil { reasons.append("\(ModelCard.fileName) changed") }
        self.reasons = reasons

        if !breaking.isEmpty {
            required = .major
        } else if topologyChanged || formatChanged || !compatible.isEmpty {
            required = .minor
        } else if weightsChanged || cardChanged || !(files?.isEmpty ?? true) {
            required = .patch
        } else {
            required = .none
        }
    }
}

extension ModelDescription {
    /// Digests of the model files proper, when file digests are known.
    var modelFileDigests: [String: Digest]? {
        files?.filter { modelFiles.contains($0.key) }
    }
}
