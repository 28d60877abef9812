/// One difference between two IO signatures, classified by what it does to callers.
public struct IOChange: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        case inputRemoved = "input_removed"
        case inputAdded = "input_added"
        case outputRemoved = "output_removed"
        case outputAdded = "output_added"
        case dtypeChanged = "dtype_changed"
        case rankChanged = "rank_changed"
        case dimChanged = "dim_changed"
        case dimRelaxed = "dim_relaxed"
        case dimFixed = "dim_fixed"
    }

    public enum Side: String, Sendable, Hashable { case input, output }

    public let kind: Kind
    public let side: Side
    /// The tensor's name.
    public let tensor: String
    /// True when existing callers break.
    public let isBreaking: Bool
    /// What changed, for people: `input 'x' dim 1: 4 -> 5`.
    public let detail: String

    public init(_ kind: Kind, _ side: Side, tensor: String, breaking: Bool, detail: String) {
        self.kind = kind
        self.side = side
        self.tensor = tensor
        self.isBreaking = breaking
        self.detail = detail
    }

    public var description: String { detail }

    /// The level this change requires: `.major` when breaking, `.minor` otherwise.
    public var level: ChangeLevel { isBreaking ? .major : .minor }
}

extension IOSignature {
    /// What changed from `self` (the old version) to `new`, tensor by tensor.
    ///
    /// Breaking: an input removed or renamed, a new required input, an output
    /// removed, a dtype or rank changed, a fixed dim changed, an input dim that
    /// was dynamic made fixed. Compatible: a new output, a fixed dim relaxed to
    /// dynamic, an output dim that was dynamic made fixed. Renaming a symbolic
    /// dim (`batch` to `N`) is no change.
    ///
    /// - Parameter optionalInputs: names of `new`'s inputs callers may omit;
    ///   adding one is compatible.
    public func changes(to new: IOSignature, optionalInputs: Set<String> = []) -> [IOChange] {
        var changes: [IOChange] = []
        let newInputs = Dictionary(new.inputs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let oldInputs = Set(inputs.map(\.name))
        for old in inputs {
            guard let updated = newInputs[old.name] else {
                changes.append(IOChange(.inputRemoved, .input, tensor: old.name, breaking: true,
                                        detail: "input '\(old.name)' was removed or renamed; callers that send it will fail"))
                continue
            }
            changes += Self.compare(old, updated, side: .input)
        }
        for added in new.inputs where !oldInputs.contains(added.name) {
            let optional = optionalInputs.contains(added.name)
            changes.append(IOChange(.inputAdded, .input, tensor: added.name, breaking: !optional,
                                    detail: "input '\(added.name)' \(added.dataType) \(added.shapeDescription) was added"
                                        + (optional ? " (optional)" : "; existing callers do not send it")))
        }

        let newOutputs = Dictionary(new.outputs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let oldOutputs = Set(outputs.map(\.name))
        for old in outputs {
            guard let updated = newOutputs[old.name] else {
                changes.append(IOChange(.outputRemoved, .output, tensor: old.name, breaking: true,
                                        detail: "output '\(old.name)' was removed or renamed; callers that read it will fail"))
                continue
            }
            changes += Self.compare(old, updated, side: .output)
        }
        for added in new.outputs where !oldOutputs.contains(added.name) {
            changes.append(IOChange(.outputAdded, .output, tensor: added.name, breaking: false,
                                    detail: "output '\(added.name)' \(added.dataType) \(added.shapeDescription) was added"))
        }
        return changes
    }

    private static func compare(_ old: TensorSpec, _ new: TensorSpec, side: IOChange.Side) -> [IOChange] {
        let label = "\(side.rawValue) '\(old.name)'"
        if old.dataType != new.dataType {
            return [IOChange(.dtypeChanged, side, tensor: old.name, breaking: true,
                             detail: "\(label) dtype changed: \(old.dataType) -> \(new.dataType)")]
        }
        switch (old.shape, new.shape) {
        case (nil, nil):
            return []
        case (let oldShape?, nil):
            // The rank became unknown: a relaxation for inputs, a loss of guarantee for outputs.
            return [IOChange(.dimRelaxed, side, tensor: old.name, breaking: false,
                             detail: "\(label) shape relaxed: \(old.shapeDescription) -> [*] (rank \(oldShape.count) no longer declared)")]
        case (nil, _?):
            return [IOChange(.rankChanged, side, tensor: old.name, breaking: side == .input,
                             detail: "\(label) shape fixed: [*] -> \(new.shapeDescription)")]
        case (let oldShape?, let newShape?):
            guard oldShape.count == newShape.count else {
                return [IOChange(.rankChanged, side, tensor: old.name, breaking: true,
                                 detail: "\(label) rank changed: \(old.shapeDescription) -> \(new.shapeDescription)")]
            }
            var changes: [IOChange] = []
            for (axis, (was, now)) in zip(oldShape, newShape).enumerated() {
                let where_ = "\(label) dim \(axis): \(was) -> \(now)"
                switch (was, now) {
                case (.fixed(let a), .fixed(let b)) where a != b:
                    changes.append(IOChange(.dimChanged, side, tensor: old.name, breaking: true, detail: where_))
                case (.fixed, .symbolic), (.fixed, .unknown):
                    changes.append(IOChange(.dimRelaxed, side, tensor: old.name, breaking: false, detail: where_ + " (relaxed to dynamic)"))
                case (.symbolic, .fixed), (.unknown, .fixed):
                    // Inputs: callers sending other sizes now fail. Outputs: callers accept any size already.
                    changes.append(IOChange(.dimFixed, side, tensor: old.name, breaking: side == .input, detail: where_ + " (dynamic made fixed)"))
                default:
                    continue
                }
            }
            return changes
        }
    }
}
