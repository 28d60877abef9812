import Dispatch
import Foundation
import Logging
import Metrics
import WardenCore
import WardenModel
import WardenRuntime
import WardenTensor
import WardenSandbox

/// Pre → model → post as one runtime: the card's WASM modules around an ONNX
/// model, or a whole model that is a WASM module (`format: wasm`).
///
/// To the serving layer it is one model version like any other, so batching,
/// hot swap, rollouts and the statistics apply unchanged. Each stage's time
/// goes to `warden_pipeline_stage_duration_seconds{model,version,stage}` and
/// each sandbox failure to `warden_sandbox_failures_total{model,version,stage,reason}`.
public struct PipelineRuntime: ModelRuntime {
    public enum Stage: Sendable {
        case wasm(SandboxModule)
        case model(any ModelRuntime)

        var name: String {
            switch self {
            case .wasm(let module): module.role
            case .model: "model"
            }
        }
    }

    /// The stages in order, each with the tensors it must hand on (the next stage's inputs,
    /// or the pipeline's outputs).
    let stages: [(stage: Stage, gives: [TensorSpec])]
    public let signature: IOSignature
    public let platform: String
    let timers: [Metrics.Timer]
    let failures: @Sendable (String, String) -> Void

    /// - Parameters:
    ///   - stages: at least one; WASM stages are checked against what the stage before gives.
    ///   - signature: what clients send and get.
    public init(stages: [Stage], signature: IOSignature, model: String, version: String, metrics: ServingMetrics) {
        // A module hands on what the model after it takes, or, last, what the pipeline gives.
        var planned: [(Stage, [TensorSpec])] = []
        for (index, stage) in stages.enumerated() {
            var gives = signature.outputs
            if case .model(let runtime) = stage {
                gives = runtime.signature.outputs
            } else if index + 1 < stages.count, case .model(let next) = stages[index + 1] {
                gives = next.signature.inputs
            }
            planned.append((stage, gives))
        }
        self.stages = planned
        self.signature = signature
        platform = stages.contains { if case .model = $0 { true } else { false } } ? "warden_pipeline" : "warden_wasm"
        let labels = [("model", model), ("version", version)]
        timers = stages.map {
            Metrics.Timer(label: "warden_pipeline_stage_duration_seconds", dimensions: labels + [("stage", $0.name)], preferredDisplayUnit: .seconds, factory: metrics.factory)
        }
        let factory = metrics.factory
        failures = { stage, reason in
            Counter(label: "warden_sandbox_failures_total", dimensions: labels + [("stage", stage), ("reason", reason)], factory: factory).increment()
        }
    }

    public func infer(_ inputs: [String: Tensor]) throws -> [String: Tensor] {
        try run(inputs, recording: true)
    }

    /// - Parameter recording: false for the warm-up, which metrics must not count.
    func run(_ inputs: [String: Tensor], recording: Bool) throws -> [String: Tensor] {
        var current = inputs
        // What the tensors in `current` are declared as: the request's as the signature says.
        var declared = signature.inputs
        for (index, (stage, gives)) in stages.enumerated() {
            let start = DispatchTime.now().uptimeNanoseconds
            defer { if recording { timers[index].recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start)) } }
            switch stage {
            case .model(let runtime):
                current = try runtime.infer(current)
                declared = runtime.signature.outputs
            case .wasm(let module):
                var entries: [TensorSet.Entry] = []
                for spec in declared {
                    guard let tensor = current[spec.name] else { continue }
                    guard tensor.fits(spec.dataType) else {
                        throw WardenError(.invalidArgument, "'\(spec.name)' must be \(spec.dataType.v2Name), got \(tensor.dataType.v2Name)")
                    }
                    entries.append(TensorSet.Entry(name: spec.name, dataType: spec.dataType, tensor: tensor))
                }
                let answered: [TensorSet.Entry]
                do {
                    answered = try module.call(entries)
                } catch let error as WardenError {
                    if recording { failures(module.role, Self.reason(error.code)) }
                    throw error
                }
                current = try Self.check(answered, against: gives, from: module)
                declared = gives
            }
        }
        return current
    }

    /// The tensors a module answered with, checked against what the next stage takes.
    static func check(_ entries: [TensorSet.Entry], against expected: [TensorSpec], from module: SandboxModule) throws -> [String: Tensor] {
        let what = "the \(module.role) module \(module.fileName)"
        var tensors: [String: Tensor] = [:]
        for entry in entries { tensors[entry.name] = entry.tensor }
        for spec in expected {
            guard let entry = entries.first(where: { $0.name == spec.name }) else {
                throw WardenError(.wasmABIViolation, "\(what) gave no tensor '\(spec.name)'; it gave \(entries.map { "'\($0.name)'" }.joined(separator: ", ")), and the next stage takes \(expected.map { "'\($0.name)'" }.joined(separator: ", "))")
            }
            guard entry.dataType == spec.dataType else {
                throw WardenError(.wasmABIViolation, "\(what) gave '\(spec.name)' as \(entry.dataType), but it must be \(spec.dataType)")
            }
            if let shape = spec.shape {
                let fits = shape.count == entry.tensor.shape.count && zip(shape, entry.tensor.shape).allSatisfy { dim, size in
                    if case .fixed(let fixed) = dim { return Int(fixed) == size }
                    return true
                }
                guard fits else {
                    throw WardenError(.wasmABIViolation, "\(what) gave '\(spec.name)' with shape \(entry.tensor.shapeDescription), but it must be \(spec.shapeDescription)")
                }
            }
        }
        return tensors
    }

    static func reason(_ code: WardenError.Code) -> String {
        switch code {
        case .wasmOutOfFuel: "fuel"
        case .wasmMemoryLimit: "memory"
        case .wasmTimeout: "timeout"
        case .wasmTrap: "trap"
        case .wasmRejectedInput: "rejected"
        default: "abi"
        }
    }
}

extension PipelineRuntime {
    /// The runtime a model description asks for: its ONNX model alone, wrapped in the
    /// card's preprocess and postprocess modules, or a `format: wasm` module.
    /// `warden serve` and `warden predict` both build runtimes here.
    /// - Throws: `WardenError` from the executor, the sandbox (a refused import, a bad export,
    ///   limits above `caps`) or the card.
    public static func make(
        for description: ModelDescription, caps: SandboxLimits = .defaultCaps, threads: Int? = nil,
        model: String = "", version: String = "", metrics: ServingMetrics = ServingMetrics(), logger: Logger = Logger(label: "warden.sandbox")
    ) throws -> any ModelRuntime {
        let card = description.card
        let limits = try SandboxLimits(card: try sandboxValues(card?.sandbox), caps: caps)
        func module(_ file: String, role: String) throws -> SandboxModule {
            try SandboxModule(contentsOf: (description.path as NSString).appendingPathComponent(file), role: role, limits: limits, logger: logger)
        }
        var stages: [Stage] = []
        if let pre = card?.preprocess { stages.append(.wasm(try module(pre, role: "preprocess"))) }
        switch description.format {
        case .onnx:
            guard let onnx = description.onnxModel else {
                throw WardenError(.invalidModel, "'\(description.path)' holds no ONNX model")
            }
            let runtime = ONNXModelRuntime(executor: try Executor(model: onnx, options: .init(threads: threads)))
            guard !stages.isEmpty || card?.postprocess != nil else { return runtime }
            stages.append(.model(runtime))
        case .wasm:
            guard stages.isEmpty, card?.postprocess == nil else {
                throw WardenError(.invalidCard, "\(ModelCard.fileName): a wasm model does its own pre- and postprocessing; remove preprocess and postprocess, or make the model ONNX")
            }
            let named = Set([card?.preprocess, card?.postprocess].compactMap { $0 })
            let candidates = description.modelFiles.subtracting(named).sorted()
            guard candidates.count == 1, let file = candidates.first else {
                throw WardenError(
                    .invalidModel,
                    candidates.isEmpty
                        ? "'\(description.path)' is a wasm model but holds no .wasm or .wat module besides the pre/postprocess ones"
                        : "'\(description.path)' holds several modules (\(candidates.joined(separator: ", "))); a wasm model is one .wasm or .wat file"
                )
            }
            stages.append(.wasm(try module(file, role: "model")))
        default:
            throw WardenError(.invalidModel, "\(description.format) models cannot be served; Warden serves ONNX and WASM models")
        }
        if let post = card?.postprocess { stages.append(.wasm(try module(post, role: "postprocess"))) }
        return PipelineRuntime(stages: stages, signature: description.signature, model: model, version: version, metrics: metrics)
    }

    /// The card's `sandbox` mapping as whole numbers.
    static func sandboxValues(_ mapping: [String: CardValue]?) throws -> [String: Int]? {
        guard let mapping else { return nil }
        var values: [String: Int] = [:]
        for (key, value) in mapping {
            switch (key, value) {
            case ("reuse_instances", .bool(let flag)): values[key] = flag ? 1 : 0
            case ("reuse_instances", _): throw WardenError(.invalidCard, "\(ModelCard.fileName): sandbox.reuse_instances: must be true or false")
            case (_, .int(let number)): values[key] = number
            default: throw WardenError(.invalidCard, "\(ModelCard.fileName): sandbox.\(key): must be a whole number")
            }
        }
        return values
    }
}
