import Foundation
import Synchronization
import Testing
import WardenCore
import WardenTestSupport
@testable import WardenServing

/// One sync per model at a time: a sync asked for meanwhile runs once more after, and a caller
/// that waits (a load through the repository API) returns only when that run is done.
@Suite struct SyncGateTests {
    /// A body whose first run holds until `release` is set, counting its runs.
    final class Probe: Sendable {
        let runs = Mutex(0)
        let released = Atomic(false)
        let failSecond: Bool
        init(failSecond: Bool = false) { self.failSecond = failSecond }

        func body() async throws {
            let run = runs.withLock { runs in
                runs += 1
                return runs
            }
            if run == 1 {
                for _ in 0..<500 where !released.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(10)) }
            }
            if run == 2, failSecond { throw WardenError(.notFound, "the second run failed") }
        }

        /// Waits (bounded, failing when it runs out) until the first run has started.
        func waitForFirstRun() async throws {
            try await waitUntil("the first run started") { runs.withLock { $0 } > 0 }
        }
    }

    @Test func aWaitingCallerReturnsAfterTheRunItAskedFor() async throws {
        let gate = SyncGate()
        let probe = Probe()
        let first = Task { try await gate.run("m") { try await probe.body() } }
        try await probe.waitForFirstRun()
        // Not waiting: returns at once, leaving a second run to follow the first.
        try await gate.run("m") { try await probe.body() }
        #expect(probe.runs.withLock { $0 } == 1)

        let returned = Atomic(false)
        let waiting = Task {
            try await gate.run("m", wait: true) { try await probe.body() }
            returned.store(true, ordering: .releasing)
            return probe.runs.withLock { $0 }
        }
        // The waiting caller has queued behind the held run: only now does "not returned" mean something.
        try await waitUntil("the waiting caller queued") { gate.waiters(for: "m") == 1 }
        let returnedEarly = returned.load(ordering: .acquiring)
        #expect(!returnedEarly, "the waiting caller returned while the first run still held")
        probe.released.store(true, ordering: .releasing)
        #expect(try await waiting.value == 2, "the waiting caller saw the second run finish")
        try await first.value
        #expect(probe.runs.withLock { $0 } == 2, "two requests made while one run held give one more run, not two")
    }

    @Test func aWaitingCallerGetsTheErrorOfItsRun() async throws {
        let gate = SyncGate()
        let probe = Probe(failSecond: true)
        let first = Task { try await gate.run("m") { try await probe.body() } }
        try await probe.waitForFirstRun()
        let waiting = Task { try await gate.run("m", wait: true) { try await probe.body() } }
        // Released only once the caller waits for the second run, so the error it gets is that run's.
        try await waitUntil("the waiting caller queued") { gate.waiters(for: "m") == 1 }
        probe.released.store(true, ordering: .releasing)
        await #expect(throws: WardenError.self) { try await waiting.value }
        try await first.value  // the first run itself succeeded
        // The gate is free again: the next call runs at once.
        try await gate.run("m", wait: true) { try await probe.body() }
        #expect(probe.runs.withLock { $0 } == 3)
    }
}
