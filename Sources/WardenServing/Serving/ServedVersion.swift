import Foundation
import WardenCore
import WardenModel
import WardenTensor
import WardenSandbox

/// One request to a served version: its inputs, the outputs it wants (nil: all)
/// and how long it may wait in the queue.
public struct InferenceRequest: Sendable {
    public var inputs: [String: Tensor]
    public var outputs: [String]?
    public var timeout: Duration?

    public init(inputs: [String: Tensor], outputs: [String]? = nil, timeout: Duration? = nil) {
        self.inputs = inputs
        self.outputs = outputs
        self.timeout = timeout
    }
}

/// A model version that passed the verification gate and warmed up: its
/// runtime, queue and statistics. In-flight requests keep it alive, so a
/// version swapped out finishes what it started and is released once it drains.
public final class ServedVersion: Sendable {
    public let model: String
    /// The version as URLs name it: a SemVer for registry models, the folder name in a repository.
    public let version: String
    /// The OMS manifest root digest the signature covered.
    public let manifestDigest: Digest
    /// Key ids of the trusted keys whose signatures verified (empty for an unsigned dev-mode load).
    public let signers: [String]
    public let runtime: any ModelRuntime
    public let settings: ServingSettings
    public let statistics = InferenceStatistics()
    /// Recent request latencies, for a rollout's analysis windows.
    public let latencies = LatencyWindow()
    public let card: ModelCard?
    /// The card's output contracts, checked on every answer.
    public let contracts: OutputContracts
    /// Input drift against the card's reference histograms, when it declares them.
    public let drift: DriftMonitor?
    let queue: InferenceQueue
    let handles: ServingMetrics.VersionHandles
    /// The folder the bytes were verified and loaded from; removed when the version is released.
    let checkout: String?

    init(
        model: String, version: String, manifestDigest: Digest, signers: [String], runtime: any ModelRuntime,
        settings: ServingSettings, card: ModelCard?, checkout: String?, metrics: ServingMetrics, contracts: OutputContracts = OutputContracts(),
        drift: DriftMonitor? = nil
    ) {
        self.contracts = contracts
        self.drift = drift
        self.model = model
        self.version = version
        self.manifestDigest = manifestDigest
        self.signers = signers
        self.runtime = runtime
        self.settings = settings
        self.card = card
        self.checkout = checkout
        handles = metrics.handles(model: model, version: version)
        queue = InferenceQueue(runtime: runtime, settings: settings, statistics: statistics, handles: handles)
    }

    deinit {
        if let checkout { try? FileManager.default.removeItem(atPath: checkout) }
    }

    public var signature: IOSignature { runtime.signature }
    /// Whether requests are batched together (settings allow it and the first dims are dynamic).
    public var batches: Bool { queue.batchable }
    public var queueDepth: Int { queue.depth }

    /// Checks the request, queues it and returns the outputs it asked for.
    /// - Throws: `.invalidArgument` (400) for inputs or outputs the model does not have or
    ///   cannot take; `.overloaded` (503); `.timedOut`; the runtime's errors.
    public func infer(_ request: InferenceRequest) async throws -> [String: Tensor] {
        let start = ContinuousClock.now
        do {
            let batch = try validate(request)
            drift?.observe(request.inputs)
            let timeout = request.timeout ?? (settings.defaultTimeoutMicroseconds > 0 ? .microseconds(settings.defaultTimeoutMicroseconds) : nil)
            var outputs = try await queue.submit(request.inputs, batch: batch, timeout: timeout)
            if !contracts.isEmpty {
                let (violations, reject) = contracts.check(outputs)
                if !violations.isEmpty {
                    handles.violations.increment()
                    if reject {
                        throw WardenError(.contractViolated, "\(model)@\(version) broke its output contract: \(violations.joined(separator: "; "))")
                    }
                    statistics.recordContractViolation()
                }
            }
            if let wanted = request.outputs { outputs = outputs.filter { wanted.contains($0.key) } }
            let elapsed = ContinuousClock.now - start
            statistics.recordOutcome(success: true, nanoseconds: elapsed.nanoseconds)
            latencies.record(elapsed.nanoseconds)
            handles.success.increment()
            handles.total.recordNanoseconds(Int64(clamping: elapsed.nanoseconds))
            return outputs
        } catch let error as WardenError where error.code == .overloaded {
            // Counted as rejected by the queue; not a failed inference.
            throw error
        } catch {
            let clientError = (error as? WardenError)?.blamesRequest ?? false
            statistics.recordOutcome(success: false, clientError: clientError, nanoseconds: (ContinuousClock.now - start).nanoseconds)
            latencies.record((ContinuousClock.now - start).nanoseconds)
            handles.failure.increment()
            throw error
        }
    }

    /// The batch size of a valid request (1 when the model does not batch).
    func validate(_ request: InferenceRequest) throws -> Int {
        let signature = runtime.signature
        let names = signature.inputs.map(\.name)
        for name in request.inputs.keys where !names.contains(name) {
            throw WardenError(.invalidArgument, "\(model) has no input '\(name)'; its inputs are \(names.map { "'\($0)'" }.joined(separator: ", "))")
        }
        for spec in signature.inputs {
            guard let tensor = request.inputs[spec.name] else {
                throw WardenError(.invalidArgument, "input '\(spec.name)' (\(spec.dataType) \(spec.shapeDescription)) is missing")
            }
            guard tensor.fits(spec.dataType) else {
                throw WardenError(.invalidArgument, "input '\(spec.name)' must be \(spec.dataType.v2Name), got \(tensor.dataType.v2Name)")
            }
            guard let shape = spec.shape else { continue }
            guard shape.count == tensor.shape.count else {
                throw WardenError(.invalidArgument, "input '\(spec.name)' must have rank \(shape.count) (shape \(spec.shapeDescription)), got shape \(tensor.shapeDescription)")
            }
            for (axis, (dim, actual)) in zip(shape, tensor.shape).enumerated() {
                if case .fixed(let size) = dim, Int(size) != actual {
                    throw WardenError(.invalidArgument, "input '\(spec.name)' dim \(axis) must be \(size) (shape \(spec.shapeDescription)), got shape \(tensor.shapeDescription)")
                }
            }
        }
        if let wanted = request.outputs {
            let outputs = signature.outputs.map(\.name)
            for name in wanted where !outputs.contains(name) {
                throw WardenError(.invalidArgument, "\(model) has no output '\(name)'; its outputs are \(outputs.map { "'\($0)'" }.joined(separator: ", "))")
            }
        }
        guard queue.batchable else { return 1 }
        guard let batch = Batching.batchSize(of: request.inputs) else {
            throw WardenError(.invalidArgument, "the inputs of a batched model must share their first (batch) dim; got \(request.inputs.map { "'\($0.key)' \($0.value.shapeDescription)" }.sorted().joined(separator: ", "))")
        }
        guard batch <= settings.maxBatchSize else {
            throw WardenError(.invalidArgument, "the request's batch of \(batch) is larger than max_batch_size \(settings.maxBatchSize); split it")
        }
        return batch
    }

    /// Stops taking new work once drained (the version was swapped out or unloaded).
    func retire() { queue.retire() }
}

extension WardenError {
    /// Whether the request itself was wrong (an HTTP 4xx): a missing input, a wrong shape or
    /// type, input a WASM preprocess refused. Rollouts leave these out of a version's errors,
    /// as Argo Rollouts' and Flagger's usual success checks count only server errors.
    public var blamesRequest: Bool {
        switch code {
        case .invalidArgument, .invalidVersion, .invalidDigest, .payloadTooLarge, .notFound, .wasmRejectedInput: true
        default: false
        }
    }
}
