import DequeModule
import Dispatch
import Foundation
import Synchronization
import WardenCore
import WardenTensor

extension WardenError.Code {
    /// The queue is full: the client should retry after a moment (HTTP 503 with Retry-After).
    public static let overloaded = Self(rawValue: "overloaded")
    /// The request waited longer than its timeout.
    public static let timedOut = Self(rawValue: "timed_out")
}

/// A model version's bounded request queue and its workers.
///
/// `instances` workers each take the oldest request, gather more requests of the
/// same shape up to `max_batch_size` (waiting at most `max_queue_delay_microseconds`
/// for them when the batch is not yet full or a preferred size), run them as one
/// batch on a Dispatch thread, and split the outputs back. A full queue refuses at
/// once with `.overloaded`; nothing is dropped silently.
///
/// Retiring the queue (on hot swap) lets its workers finish every request already
/// queued or still arriving, then exit; the version is released when the last one drains.
final class InferenceQueue: Sendable {
    struct Job {
        let inputs: [String: Tensor]
        let batch: Int
        let key: String
        let enqueued: ContinuousClock.Instant
        let deadline: ContinuousClock.Instant?
        let continuation: CheckedContinuation<[String: Tensor], any Error>
    }

    private struct State {
        var jobs = Deque<Job>()
        var idle: [CheckedContinuation<Void, Never>] = []
        var workers = 0
        var retired = false
    }

    let runtime: any ModelRuntime
    let settings: ServingSettings
    /// Whether requests may share a batch: batching is on and every input and output has a dynamic first dim.
    let batchable: Bool
    let statistics: InferenceStatistics
    let handles: ServingMetrics.VersionHandles
    private let state = Mutex(State())
    private static let clock = ContinuousClock()

    init(runtime: any ModelRuntime, settings: ServingSettings, statistics: InferenceStatistics, handles: ServingMetrics.VersionHandles) {
        self.runtime = runtime
        self.settings = settings
        self.statistics = statistics
        self.handles = handles
        let specs = runtime.signature.inputs + runtime.signature.outputs
        batchable = settings.maxBatchSize > 1 && !specs.isEmpty && specs.allSatisfy { spec in
            guard let first = spec.shape?.first else { return false }
            return first.isDynamic
        }
        state.withLock { $0.workers = settings.instances }
        for _ in 0..<settings.instances { startWorker() }
    }

    /// Queues one request and waits for its outputs.
    /// - Throws: `.overloaded` when the queue is full, `.timedOut`, or the runtime's error.
    func submit(_ inputs: [String: Tensor], batch: Int, timeout: Duration?) async throws -> [String: Tensor] {
        let now = Self.clock.now
        let key = batchable ? Batching.key(of: inputs) : ""
        return try await withCheckedThrowingContinuation { continuation in
            let job = Job(inputs: inputs, batch: batch, key: key, enqueued: now, deadline: timeout.map { now + $0 }, continuation: continuation)
            enum Admission { case queued(CheckedContinuation<Void, Never>?, depth: Int), startWorker(depth: Int), full(Int) }
            let admission = state.withLock { state -> Admission in
                guard state.jobs.count < settings.maxQueueSize else { return .full(state.jobs.count) }
                state.jobs.append(job)
                if state.workers == 0 {
                    // A retired queue whose workers left: one more drains what arrived late.
                    state.workers = 1
                    return .startWorker(depth: state.jobs.count)
                }
                return .queued(state.idle.popLast(), depth: state.jobs.count)
            }
            switch admission {
            case .full(let depth):
                handles.rejected.increment()
                continuation.resume(throwing: WardenError(.overloaded, "the queue of this model version is full (\(depth) requests waiting, max_queue_size \(settings.maxQueueSize)); retry shortly"))
            case .startWorker(let depth):
                handles.queueDepth.record(depth)
                startWorker()
            case .queued(let worker, let depth):
                handles.queueDepth.record(depth)
                worker?.resume()
            }
        }
    }

    /// Stops waiting for new work: workers exit once the queue is empty.
    func retire() {
        let idle = state.withLock { state in
            state.retired = true
            let idle = state.idle
            state.idle = []
            return idle
        }
        for worker in idle { worker.resume() }
    }

    var depth: Int { state.withLock { $0.jobs.count } }

    // MARK: Workers

    private func startWorker() {
        Task { await self.work() }
    }

    private func work() async {
        while let first = await nextJob() {
            let batch = await gather(after: first)
            await execute(batch)
        }
    }

    /// The oldest job, waiting for one; nil when the queue is retired and empty (the worker then exits).
    private func nextJob() async -> Job? {
        while true {
            enum Next { case job(Job), exit, wait }
            let next = state.withLock { state -> Next in
                if let job = state.jobs.popFirst() { return .job(job) }
                if state.retired {
                    state.workers -= 1
                    return .exit
                }
                return .wait
            }
            switch next {
            case .job(let job): return job
            case .exit: return nil
            case .wait:
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state -> Bool in
                        if !state.jobs.isEmpty || state.retired { return true }
                        state.idle.append(continuation)
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
        }
    }

    /// More jobs of the same shape, up to `max_batch_size`, waiting up to the queue delay for them.
    private func gather(after first: Job) async -> [Job] {
        guard batchable, first.batch < settings.maxBatchSize else { return [first] }
        var batch = [first]
        var size = first.batch
        take(into: &batch, size: &size)
        let delay = Duration.microseconds(settings.maxQueueDelayMicroseconds)
        if size < settings.maxBatchSize, !settings.preferredBatchSizes.contains(size), delay > .zero {
            let until = first.enqueued + delay
            if Self.clock.now < until {
                try? await Task.sleep(until: until, clock: Self.clock)
                take(into: &batch, size: &size)
            }
        }
        return batch
    }

    private func take(into batch: inout [Job], size: inout Int) {
        let limit = settings.maxBatchSize
        let key = batch[0].key
        var running = size
        let taken = state.withLock { state -> [Job] in
            var taken: [Job] = []
            var index = state.jobs.startIndex
            while index < state.jobs.endIndex, running < limit {
                let job = state.jobs[index]
                if job.key == key, running + job.batch <= limit {
                    taken.append(state.jobs.remove(at: index))
                    running += job.batch
                } else {
                    index += 1
                }
            }
            return taken
        }
        batch += taken
        size = running
    }

    private func execute(_ jobs: [Job]) async {
        let start = Self.clock.now
        var live: [Job] = []
        for job in jobs {
            let waited = start - job.enqueued
            statistics.recordQueue(waited.nanoseconds)
            handles.queue.recordNanoseconds(Int64(clamping: waited.nanoseconds))
            if let deadline = job.deadline, start > deadline {
                job.continuation.resume(throwing: WardenError(.timedOut, "the request waited \(waited.microsecondsText) in the queue, longer than its timeout"))
            } else {
                live.append(job)
            }
        }
        guard !live.isEmpty else { return }
        handles.queueDepth.record(depth)
        let results = await compute(live)
        for (job, result) in zip(live, results) {
            job.continuation.resume(with: result)
        }
    }

    /// Runs the jobs as one batch off the cooperative pool; when a batch of several
    /// fails, each job runs alone so one bad request cannot fail the others.
    private func compute(_ jobs: [Job]) async -> [Result<[String: Tensor], any Error>] {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let results: [Result<[String: Tensor], any Error>]
                do {
                    results = try self.run(jobs).map { .success($0) }
                } catch {
                    if jobs.count == 1 {
                        results = [.failure(error)]
                    } else {
                        results = jobs.map { job in Result { try self.run([job])[0] } }
                    }
                }
                continuation.resume(returning: results)
            }
        }
    }

    private func run(_ jobs: [Job]) throws -> [[String: Tensor]] {
        let t0 = Self.clock.now
        let inputs = try Batching.join(jobs.map(\.inputs))
        let t1 = Self.clock.now
        let outputs = try runtime.infer(inputs)
        let t2 = Self.clock.now
        let parts = try Batching.split(outputs, sizes: jobs.map(\.batch))
        let t3 = Self.clock.now
        statistics.recordBatch(
            size: jobs.reduce(0) { $0 + $1.batch }, requests: jobs.count,
            input: (t1 - t0).nanoseconds, infer: (t2 - t1).nanoseconds, output: (t3 - t2).nanoseconds
        )
        handles.compute.recordNanoseconds(Int64(clamping: (t3 - t0).nanoseconds))
        handles.batchSize.record(jobs.reduce(0) { $0 + $1.batch })
        return parts
    }
}

extension Duration {
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) &* 1_000_000_000 &+ UInt64(attoseconds / 1_000_000_000)
    }

    var microsecondsText: String { "\(nanoseconds / 1000) µs" }
}
