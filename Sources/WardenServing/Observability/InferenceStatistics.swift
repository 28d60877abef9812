import Foundation
import Synchronization

/// Triton's statistics extension for one model version: cumulative counts and
/// nanoseconds per phase, and per batch size. Safe to update from any thread.
public final class InferenceStatistics: Sendable {
    /// A count and the total time it took.
    public struct Duration: Sendable, Hashable {
        public var count: Int = 0
        public var nanoseconds: UInt64 = 0

        public init() {}

        mutating func add(_ nanoseconds: UInt64, count: Int = 1) {
            self.count += count
            self.nanoseconds &+= nanoseconds
        }
    }

    /// Per executed batch of one size.
    public struct BatchPhases: Sendable, Hashable {
        public var computeInput = Duration()
        public var computeInfer = Duration()
        public var computeOutput = Duration()
    }

    public struct Snapshot: Sendable, Hashable {
        public var success = Duration()
        public var fail = Duration()
        public var queue = Duration()
        public var computeInput = Duration()
        public var computeInfer = Duration()
        public var computeOutput = Duration()
        /// Requests answered (each request of a batch counts once).
        public var inferenceCount = 0
        /// Model executions (a batch counts once).
        public var executionCount = 0
        /// Answers returned although they broke an output contract flagged (not rejected) in the card.
        public var contractViolations = 0
        /// Failed requests that were the client's fault (a wrong shape or type, input a WASM
        /// preprocess refused): also in `fail`, as Triton counts them, but not the version's
        /// errors when a rollout judges it.
        public var clientErrors = 0
        /// Milliseconds since the epoch of the last inference, 0 before the first.
        public var lastInference: UInt64 = 0
        public var batches: [Int: BatchPhases] = [:]
    }

    private let state = Mutex(Snapshot())

    public init() {}

    public var snapshot: Snapshot { state.withLock { $0 } }

    func recordBatch(size: Int, requests: Int, input: UInt64, infer: UInt64, output: UInt64) {
        let now = UInt64(Date().timeIntervalSince1970 * 1000)
        state.withLock { stats in
            stats.executionCount += 1
            stats.inferenceCount += requests
            stats.lastInference = now
            // Phase totals count requests, as Triton's do; the batch table counts executions.
            stats.computeInput.add(input * UInt64(requests), count: requests)
            stats.computeInfer.add(infer * UInt64(requests), count: requests)
            stats.computeOutput.add(output * UInt64(requests), count: requests)
            var phases = stats.batches[size] ?? BatchPhases()
            phases.computeInput.add(input)
            phases.computeInfer.add(infer)
            phases.computeOutput.add(output)
            stats.batches[size] = phases
        }
    }

    func recordContractViolation() {
        state.withLock { $0.contractViolations += 1 }
    }

    func recordQueue(_ nanoseconds: UInt64) {
        state.withLock { $0.queue.add(nanoseconds) }
    }

    func recordOutcome(success: Bool, clientError: Bool = false, nanoseconds: UInt64) {
        state.withLock { stats in
            if success { stats.success.add(nanoseconds) } else { stats.fail.add(nanoseconds) }
            if !success, clientError { stats.clientErrors += 1 }
        }
    }
}
