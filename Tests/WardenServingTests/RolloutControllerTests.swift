import Testing
import WardenCore
import WardenTestSupport
@testable import WardenServing

/// A clock the test moves by hand.
struct FakeInstant: InstantProtocol {
    var offset: Duration
    func advanced(by duration: Duration) -> FakeInstant { FakeInstant(offset: offset + duration) }
    func duration(to other: FakeInstant) -> Duration { other.offset - offset }
    static func < (lhs: FakeInstant, rhs: FakeInstant) -> Bool { lhs.offset < rhs.offset }
}

@Suite("The rollout controller (no I/O, a fake clock)")
struct RolloutControllerTests {
    let start = FakeInstant(offset: .zero)
    let good = WindowStatistics(requests: 500, errors: 1, p99: .milliseconds(20))
    let bad = WindowStatistics(requests: 500, errors: 50, p99: .milliseconds(20))
    let slow = WindowStatistics(requests: 500, errors: 0, p99: .milliseconds(90))
    let quiet = WindowStatistics(requests: 3, errors: 0)

    func plan() throws -> RolloutPlan {
        try RolloutPlan(stable: "1.0.0", candidate: "1.1.0", steps: [5, 25, 50, 100], interval: .seconds(30), maxErrorRate: 0.01, maxP99: .milliseconds(50), minRequests: 100, failureLimit: 2)
    }

    @Test("a good candidate goes through every step and is promoted")
    func promotesThroughEveryStep() throws {
        var rollout = RolloutController(plan: try plan(), now: start)
        #expect(rollout.startActions.first == .setCandidateWeight(5))
        var now = start
        #expect(rollout.tick(now: now.advanced(by: .seconds(10)), window: good).isEmpty)  // before the interval: nothing
        var weights: [Int] = []
        for _ in 0..<4 {
            now = now.advanced(by: .seconds(30))
            for action in rollout.tick(now: now, window: good) {
                if case .setCandidateWeight(let weight) = action { weights.append(weight) }
            }
        }
        #expect(weights == [25, 50, 100, 100])
        #expect(rollout.phase == .promoted)
        #expect(rollout.verdicts == [.passed, .passed, .passed, .passed])
    }

    @Test("failed windows up to the limit abort: weight 0, candidate failed, with the reason")
    func abortsAfterFailureLimit() throws {
        var rollout = RolloutController(plan: try plan(), now: start)
        let first = rollout.tick(now: start.advanced(by: .seconds(30)), window: bad)
        #expect(first.count == 1)
        #expect(rollout.candidateWeight == 5)
        let second = rollout.tick(now: start.advanced(by: .seconds(60)), window: slow)
        #expect(second.first == .setCandidateWeight(0))
        #expect(second.contains { if case .markCandidateFailed(let reason) = $0 { reason.contains("p99") } else { false } })
        #expect(rollout.candidateWeight == 0)
        if case .aborted = rollout.phase {} else { Issue.record("not aborted: \(rollout.phase)") }
        #expect(rollout.tick(now: start.advanced(by: .seconds(90)), window: good).isEmpty)  // finished
    }

    @Test("a passing window resets the failure count")
    func passResetsFailures() throws {
        var rollout = RolloutController(plan: try plan(), now: start)
        _ = rollout.tick(now: start.advanced(by: .seconds(30)), window: bad)
        _ = rollout.tick(now: start.advanced(by: .seconds(60)), window: good)
        _ = rollout.tick(now: start.advanced(by: .seconds(90)), window: bad)
        #expect(rollout.failedWindows == 1)
        #expect(rollout.phase == .progressing(step: 1))
    }

    @Test("low traffic is inconclusive: the step holds, neither passing nor failing")
    func lowTrafficHolds() throws {
        var rollout = RolloutController(plan: try plan(), now: start)
        for window in 1...5 {
            #expect(rollout.tick(now: start.advanced(by: .seconds(30 * window)), window: quiet).isEmpty)
        }
        #expect(rollout.phase == .progressing(step: 0))
        #expect(rollout.failedWindows == 0)
        #expect(rollout.verdicts.allSatisfy { if case .inconclusive = $0 { true } else { false } })
    }

    @Test("pause freezes the step; resume restarts its interval")
    func pauseAndResume() throws {
        var rollout = RolloutController(plan: try plan(), now: start)
        _ = rollout.pause()
        #expect(rollout.tick(now: start.advanced(by: .seconds(300)), window: good).isEmpty)
        #expect(rollout.phase == .paused(step: 0))
        _ = rollout.resume(now: start.advanced(by: .seconds(300)))
        #expect(rollout.tick(now: start.advanced(by: .seconds(310)), window: good).isEmpty)
        #expect(rollout.tick(now: start.advanced(by: .seconds(330)), window: good).first == .setCandidateWeight(25))
    }

    @Test("a restored rollout keeps its place in the step's interval, and its last windows")
    func restoredKeepsItsPlace() throws {
        var rollout = RolloutController(plan: try plan(), now: start)
        let windows = ["1.0.0": VersionWindow(requests: 900, errors: 0, p99Milliseconds: 4), "1.1.0": VersionWindow(requests: 100, errors: 1, p99Milliseconds: 6)]
        var judged = good
        judged.versions = windows
        _ = rollout.tick(now: start.advanced(by: .seconds(30)), window: judged)
        #expect(rollout.snapshot.lastWindows == windows)

        // Stored 20 s into the 30 s step: after a restart 10 s are left, not 30.
        let now = FakeInstant(offset: .seconds(1000))
        var restored = RolloutController(plan: try plan(), snapshot: rollout.snapshot, now: now, stepElapsed: .seconds(20))
        #expect(restored.lastWindows == windows)
        #expect(restored.tick(now: now.advanced(by: .seconds(9)), window: good).isEmpty)
        #expect(restored.tick(now: now.advanced(by: .seconds(10)), window: good).first == .setCandidateWeight(50))

        // Down longer than the interval: the first tick judges at once.
        var late = RolloutController(plan: try plan(), snapshot: rollout.snapshot, now: now, stepElapsed: .seconds(500))
        #expect(late.tick(now: now, window: good).first == .setCandidateWeight(50))
    }

    @Test("promote and abort by hand work from a paused step too; finished rollouts ignore them")
    func manualPromoteAndAbort() throws {
        var promoted = RolloutController(plan: try plan(), now: start)
        _ = promoted.pause()
        #expect(promoted.promote().contains(.moveProduction(to: "1.1.0")))
        #expect(promoted.abort("late").isEmpty)

        var aborted = RolloutController(plan: try plan(), now: start)
        #expect(aborted.abort("bad canary").first == .setCandidateWeight(0))
        #expect(aborted.promote().isEmpty)
    }

    @Test("rollback works in every state, and after promotion moves production back")
    func rollbackEverywhere() throws {
        var running = RolloutController(plan: try plan(), now: start)
        #expect(running.rollback(reason: "pager") == [.setCandidateWeight(0), .record("rolled back to 1.0.0: pager")])
        var paused = RolloutController(plan: try plan(), now: start)
        _ = paused.pause()
        #expect(paused.rollback(reason: "x").first == .setCandidateWeight(0))
        var promoted = RolloutController(plan: try plan(), now: start)
        _ = promoted.promote()
        #expect(promoted.rollback(reason: "regression").contains(.moveProduction(to: "1.0.0")))
        var aborted = RolloutController(plan: try plan(), now: start)
        _ = aborted.abort("x")
        #expect(aborted.rollback(reason: "y").first == .setCandidateWeight(0))
        #expect(aborted.rollback(reason: "again").isEmpty)
    }

    @Test("plans that make no sense are refused with the reason")
    func badPlans() {
        expectWardenError(.invalidArgument, containing: "end at 100") { _ = try RolloutPlan(stable: "1", candidate: "2", steps: [5, 50]) }
        expectWardenError(.invalidArgument, containing: "increasing") { _ = try RolloutPlan(stable: "1", candidate: "2", steps: [50, 25, 100]) }
        expectWardenError(.invalidArgument, containing: "the candidate is the stable version") { _ = try RolloutPlan(stable: "1", candidate: "1") }
        expectWardenError(.invalidArgument, containing: "fraction from 0 to 1") { _ = try RolloutPlan(stable: "1", candidate: "2", maxErrorRate: 5) }
    }
}

@Suite("Traffic routing")
struct TrafficRouterTests {
    @Test("a sticky key moves from stable to candidate once as the weight grows, never back")
    func stickyIsMonotone() {
        let keys = (0..<2000).map { "user-\($0)" }
        var previous = Set<String>()
        for weight in [0, 5, 25, 50, 100] {
            let router = TrafficRouter(candidateWeight: weight, stickyHeader: "X-User")
            let onCandidate = Set(keys.filter { router.route(headers: ["x-user": $0], draw: 99) == .candidate })
            #expect(previous.isSubset(of: onCandidate))
            previous = onCandidate
            #expect(abs(Double(onCandidate.count) / Double(keys.count) * 100 - Double(weight)) < 4, "weight \(weight): \(onCandidate.count)")
        }
    }

    @Test("header matches send to the candidate: exact, prefix and regex")
    func headerMatch() throws {
        let exact = TrafficRouter(candidateWeight: 0, match: try HeaderMatch(header: "x-warden-variant", .exact("candidate")))
        #expect(exact.route(headers: ["x-warden-variant": "candidate"], draw: 50) == .candidate)
        #expect(exact.route(headers: ["x-warden-variant": "candidates"], draw: 50) == .stable)
        let prefix = TrafficRouter(candidateWeight: 0, match: try HeaderMatch(header: "X-Team", .prefix("ml-")))
        #expect(prefix.route(headers: ["x-team": "ml-ops"], draw: 50) == .candidate)
        let regex = TrafficRouter(candidateWeight: 0, match: try HeaderMatch(header: "x-region", .regex("^eu-(west|north)$")))
        #expect(regex.route(headers: ["x-region": "eu-north"], draw: 50) == .candidate)
        #expect(regex.route(headers: ["x-region": "us-east"], draw: 50) == .stable)
        expectWardenError(.invalidArgument, containing: "not a valid regular expression") { _ = try HeaderMatch(header: "x", .regex("(")) }
    }

    @Test("shadow mirrors a share of stable's traffic and never routes a caller to the candidate")
    func shadow() {
        let router = TrafficRouter(candidateWeight: 0, shadowPercent: 20)
        let routes = (0..<1000).map { router.route(headers: [:], draw: Double($0) / 10) }
        #expect(!routes.contains(.candidate))
        #expect(routes.filter { $0 == .stableWithShadow }.count == 200)
    }
}

@Suite("Rollout windows judged by drift and shadow agreement")
struct RolloutDriftTests {
    @Test("drift above the limit and shadow agreement below it fail a window; within them it passes")
    func driftAndAgreement() throws {
        let plan = try RolloutPlan(stable: "1", candidate: "2", steps: [50, 100], interval: .seconds(1), minRequests: 1, failureLimit: 1, maxDriftPSI: 0.25, minShadowAgreement: 0.9)
        let start = FakeInstant(offset: .zero)
        var drifting = RolloutController(plan: plan, now: start)
        let drifted = drifting.tick(now: start.advanced(by: .seconds(1)), window: WindowStatistics(requests: 10, errors: 0, drift: 0.6))
        #expect(drifted.contains { if case .markCandidateFailed(let reason) = $0 { reason.contains("drift PSI") } else { false } })
        var disagreeing = RolloutController(plan: plan, now: start)
        let disagreed = disagreeing.tick(now: start.advanced(by: .seconds(1)), window: WindowStatistics(requests: 10, errors: 0, shadowAgreement: 0.5))
        #expect(disagreed.contains { if case .markCandidateFailed(let reason) = $0 { reason.contains("agreement") } else { false } })
        var fine = RolloutController(plan: plan, now: start)
        #expect(fine.tick(now: start.advanced(by: .seconds(1)), window: WindowStatistics(requests: 10, errors: 0, drift: 0.05, shadowAgreement: 0.99)).first == .setCandidateWeight(100))
        expectWardenError(.invalidArgument, containing: "shadow agreement is a fraction") { _ = try RolloutPlan(stable: "1", candidate: "2", minShadowAgreement: 2) }
    }
}
