import Foundation
import Synchronization
import Testing
import WardenCore
import WardenTensor
import WardenTestSupport
@testable import WardenServing

// Serialized: a GatedRuntime holds a cooperative-pool thread while it waits to be released, and
// on a 2-core machine two such tests at once leave no thread to run the other requests.
@Suite("Queues, batching and hot swap", .serialized)
struct SchedulingTests {
    /// A served version around a gated runtime, with the given settings.
    func gated(_ settings: ServingSettings, in directory: TemporaryDirectory) throws -> (ServedVersion, GatedRuntime) {
        let real = try ServingFixtures.load("1", in: directory)
        let runtime = GatedRuntime(real.runtime)
        let served = ServedVersion(
            model: "iris", version: "1", manifestDigest: real.manifestDigest, signers: real.signers, runtime: runtime,
            settings: settings, card: nil, checkout: nil, metrics: ServingMetrics()
        )
        return (served, runtime)
    }

    // Whether these requests share batches depends on timing; batchesWhileBusy checks batching deterministically.
    @Test("concurrent requests each get exactly their own rows back, batched or not")
    func batchesSplitExactly() async throws {
        let directory = try TemporaryDirectory("serving")
        defer { directory.remove() }
        let served = try ServingFixtures.load("1", in: directory)
        let requests = (0..<24).map { ServingFixtures.rows(1 + $0 % 3, seed: Float($0)) }
        let alone = try requests.map { try served.runtime.infer(["input": $0]) }
        let batched = try await withThrowingTaskGroup(of: (Int, [String: Tensor]).self) { group in
            for (index, rows) in requests.enumerated() {
                group.addTask { (index, try await served.infer(InferenceRequest(inputs: ["input": rows], outputs: ["probabilities"]))) }
            }
            var results = Array(repeating: [String: Tensor](), count: requests.count)
            for try await (index, outputs) in group { results[index] = outputs }
            return results
        }
        for (expected, got) in zip(alone, batched) {
            #expect(got.keys.sorted() == ["probabilities"])  // only what was asked for
            let want = try #require(expected["probabilities"]?.floats)
            let have = try #require(got["probabilities"]?.floats)
            #expect(want.count == have.count)
            for (a, b) in zip(want, have) { #expect(abs(a - b) <= 1e-5) }
        }
        let stats = served.statistics.snapshot
        #expect(stats.inferenceCount == 24)
        #expect(stats.success.count == 24)
        #expect(stats.executionCount <= 24)
    }

    @Test("requests wait for the batch to fill up to max_batch_size while the runtime is busy")
    func batchesWhileBusy() async throws {
        let directory = try TemporaryDirectory("serving")
        defer { directory.remove() }
        var settings = ServingSettings()
        settings.maxBatchSize = 8
        let (served, runtime) = try gated(settings, in: directory)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { _ = try await served.infer(InferenceRequest(inputs: ["input": ServingFixtures.rows(1)])) }
            // Let the first request take the only worker, then queue eight more.
            try await waitUntil("the first request runs") { runtime.started.load(ordering: .relaxed) > 0 }
            for _ in 0..<8 {
                group.addTask { _ = try await served.infer(InferenceRequest(inputs: ["input": ServingFixtures.rows(1)])) }
            }
            try await waitUntil("eight requests are queued") { served.queueDepth == 8 }
            runtime.release()
            try await group.waitForAll()
        }
        let stats = served.statistics.snapshot
        #expect(stats.inferenceCount == 9)
        #expect(stats.executionCount == 2)
        #expect(stats.batches[8]?.computeInfer.count == 1)
    }

    @Test("a full queue refuses at once with overloaded; nothing is dropped")
    func fullQueueRefuses() async throws {
        let directory = try TemporaryDirectory("serving")
        defer { directory.remove() }
        var settings = ServingSettings()
        settings.maxQueueSize = 2
        let (served, runtime) = try gated(settings, in: directory)
        let outcomes = Outcomes()
        await withTaskGroup(of: Void.self) { group in
            func send() {
                group.addTask {
                    do {
                        _ = try await served.infer(InferenceRequest(inputs: ["input": ServingFixtures.rows(1)]))
                        outcomes.append("ok")
                    } catch let error as WardenError {
                        outcomes.append(error.code.rawValue)
                    } catch {
                        outcomes.append("other")
                    }
                }
            }
            // One runs (held by the gate), then two wait and three are refused.
            send()
            do {
                try await waitUntil("the first request runs") { runtime.started.load(ordering: .relaxed) > 0 }
                for _ in 0..<5 { send() }
                try await waitUntil("three requests are refused") { outcomes.count >= 3 }
            } catch {
                Issue.record(error)
            }
            runtime.release()
        }
        let all = outcomes.all
        #expect(all.count == 6)
        #expect(all.filter { $0 == "ok" }.count == 3)
        #expect(all.filter { $0 == WardenError.Code.overloaded.rawValue }.count == 3)
    }

    @Test("a request that waits past its timeout fails with timed_out")
    func timeout() async throws {
        let directory = try TemporaryDirectory("serving")
        defer { directory.remove() }
        let (served, runtime) = try gated(ServingSettings(), in: directory)
        async let first: [String: Tensor] = served.infer(InferenceRequest(inputs: ["input": ServingFixtures.rows(1)]))
        try await waitUntil("the first request runs") { runtime.started.load(ordering: .relaxed) > 0 }
        async let second: Void = expectAsyncWardenError(.timedOut, containing: "longer than its timeout") {
            _ = try await served.infer(InferenceRequest(inputs: ["input": ServingFixtures.rows(1)], timeout: .milliseconds(5)))
        }
        // The second request is queued, and its 5 ms deadline has passed: only then may the runtime free up.
        try await waitUntil("the second request is queued") { served.queueDepth == 1 }
        let queued = ContinuousClock.now
        try await waitUntil("its deadline has passed") { ContinuousClock.now > queued + .milliseconds(5) }
        runtime.release()
        _ = try await first
        await second
    }

    @Test("bad requests fail alone, before the queue, naming what is wrong")
    func validation() async throws {
        let directory = try TemporaryDirectory("serving")
        defer { directory.remove() }
        let served = try ServingFixtures.load("1", in: directory)
        await expectAsyncWardenError(.invalidArgument, containing: "no input 'x'") {
            _ = try await served.infer(InferenceRequest(inputs: ["x": ServingFixtures.rows(1)]))
        }
        await expectAsyncWardenError(.invalidArgument, containing: "input 'input' dim 1 must be 4") {
            _ = try await served.infer(InferenceRequest(inputs: ["input": Tensor(shape: [1, 3], floats: [1, 2, 3])]))
        }
        await expectAsyncWardenError(.invalidArgument, containing: "must be FP32, got INT64") {
            _ = try await served.infer(InferenceRequest(inputs: ["input": Tensor(shape: [1, 4], int64s: [1, 2, 3, 4])]))
        }
        await expectAsyncWardenError(.invalidArgument, containing: "no output 'scores'") {
            _ = try await served.infer(InferenceRequest(inputs: ["input": ServingFixtures.rows(1)], outputs: ["scores"]))
        }
        await expectAsyncWardenError(.invalidArgument, containing: "larger than max_batch_size 32") {
            _ = try await served.infer(InferenceRequest(inputs: ["input": ServingFixtures.rows(40)]))
        }
        #expect(served.statistics.snapshot.fail.count == 5)
    }

    @Test("100 hot swaps under 8 concurrent clients: zero failed requests, and the old versions drain")
    func hotSwapUnderLoad() async throws {
        let directory = try TemporaryDirectory("serving")
        defer { directory.remove() }
        let server = ModelServer()
        let versions = [try ServingFixtures.load("1", in: directory), try ServingFixtures.load("2", in: directory)]
        server.install(versions[0], makeCurrent: true)
        let stop = Flag()
        let failures = Count()
        let answered = Count()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<8 {
                group.addTask {
                    var sent = 0
                    while !stop.isSet, sent < 100_000 {
                        sent += 1
                        do {
                            let served = try server.lookup(model: "iris", version: nil)
                            _ = try await served.infer(InferenceRequest(inputs: ["input": ServingFixtures.rows(1, seed: Float(client))]))
                            answered.add()
                        } catch {
                            failures.add()
                        }
                    }
                }
            }
            for swap in 0..<100 {
                // A fresh ServedVersion each time, as a reload makes; the one it replaces drains.
                let base = versions[swap % 2]
                let next = ServedVersion(
                    model: "iris", version: base.version, manifestDigest: base.manifestDigest, signers: base.signers,
                    runtime: base.runtime, settings: base.settings, card: nil, checkout: nil, metrics: ServingMetrics()
                )
                server.install(next, makeCurrent: true, keep: [next.version])
                try await Task.sleep(for: .milliseconds(2))
            }
            stop.set()
            try await group.waitForAll()
        }
        #expect(failures.value == 0)
        #expect(answered.value > 100)
        #expect(server.index().map(\.version) == ["2"])
    }

    @Test("a failed reload leaves the serving version ready")
    func failedReloadKeepsServing() throws {
        let directory = try TemporaryDirectory("serving")
        defer { directory.remove() }
        let server = ModelServer()
        server.install(try ServingFixtures.load("1", in: directory), makeCurrent: true)
        #expect(server.beginLoad(model: "iris", version: "1") == false)  // same version, already ready: idempotent
        #expect(server.beginLoad(model: "iris", version: "2"))
        #expect(server.beginLoad(model: "iris", version: "2") == false)  // already loading
        server.loadFailed(model: "iris", version: "2", reason: "verification refused: test")
        #expect(try server.lookup(model: "iris", version: nil).version == "1")
        let rows = server.index()
        #expect(rows.first { $0.version == "2" }?.state == .unavailable)
        #expect(rows.first { $0.version == "2" }?.reason.contains("verification refused") == true)
        expectWardenError(.modelUnavailable, containing: "UNAVAILABLE") { _ = try server.lookup(model: "iris", version: "2") }
        expectWardenError(.notFound, containing: "no model named 'nope'") { _ = try server.lookup(model: "nope", version: nil) }
    }
}

final class Outcomes: Sendable {
    private let values = Mutex<[String]>([])
    func append(_ value: String) { values.withLock { $0.append(value) } }
    var count: Int { values.withLock { $0.count } }
    var all: [String] { values.withLock { $0 } }
}

final class Count: Sendable {
    private let counter = Atomic<Int>(0)
    func add() { counter.add(1, ordering: .relaxed) }
    var value: Int { counter.load(ordering: .relaxed) }
}

final class Flag: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .relaxed) }
    var isSet: Bool { flag.load(ordering: .relaxed) }
}
