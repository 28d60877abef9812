import Foundation
import Logging
import WardenCore
import WardenRegistry

/// Runs the rollouts of registry models inside the server: it keeps each
/// model's `RolloutController`, feeds it the candidate's analysis windows,
/// performs the actions it returns (traffic split, production alias, failure)
/// and stores every transition, so a restarted server carries on.
public actor RolloutService {
    struct Active {
        var controller: RolloutController<ContinuousClock.Instant>
        let spec: RolloutSpec
        /// Each version's counters when the current window began.
        var baselines: [String: Counters] = [:]
        /// The shadow comparison's counts when the current window began.
        var shadowBaseline: (compared: Int, matches: Int) = (0, 0)
    }

    let registry: Registry
    let server: ModelServer
    let source: any ModelSource
    let logger: Logger
    let tickInterval: Duration
    private var active: [String: Active] = [:]
    /// Each version's counters when the model's latest rollout started, so its status counts
    /// that rollout's requests only (kept after it ends, until the next one starts).
    private var startCounters: [String: [String: Counters]] = [:]

    /// A served version's cumulative request counts.
    public struct Counters: Sendable, Hashable {
        /// Every answered or failed request (client errors included).
        public var requests = 0
        /// Failed requests, client errors included, plus contract violations flagged in the card.
        public var errors = 0
        /// Failed requests that were the client's fault (4xx).
        public var clientErrors = 0

        public init(requests: Int = 0, errors: Int = 0, clientErrors: Int = 0) {
            self.requests = requests
            self.errors = errors
            self.clientErrors = clientErrors
        }

        static func - (now: Counters, base: Counters) -> Counters {
            Counters(requests: max(0, now.requests - base.requests), errors: max(0, now.errors - base.errors), clientErrors: max(0, now.clientErrors - base.clientErrors))
        }

        /// The window a plan judges: client errors left out of both counts unless it counts them.
        func window(countingClientErrors: Bool) -> VersionWindow {
            var window = countingClientErrors
                ? VersionWindow(requests: requests, errors: errors)
                : VersionWindow(requests: requests - clientErrors, errors: errors - clientErrors)
            window.clientErrors = clientErrors
            return window
        }
    }
    private let clock = ContinuousClock()

    public init(registry: Registry, server: ModelServer, source: any ModelSource, tickInterval: Duration = .milliseconds(200), logger: Logger = Logger(label: "warden.rollouts")) {
        self.registry = registry
        self.server = server
        self.source = source
        self.tickInterval = tickInterval
        self.logger = logger
    }

    /// Restores the stored rollouts, then judges windows every tick until cancelled.
    public func run() async {
        do {
            for record in try await registry.activeRollouts() {
                let spec = try RolloutSpec.parse(record.plan)
                let snapshot = (try? JSONDecoder().decode(RolloutController<ContinuousClock.Instant>.Snapshot.self, from: Data(record.state.utf8)))
                    ?? .init(phase: .progressing(step: 0), failedWindows: 0, verdicts: [])
                // The step began at the last stored transition: a restart keeps its place in the interval.
                let elapsed = Duration.milliseconds(Int64(max(0, Date().timeIntervalSince(record.updatedAt)) * 1000))
                let controller = RolloutController(plan: spec.plan, snapshot: snapshot, now: clock.now, stepElapsed: elapsed)
                var entry = Active(controller: controller, spec: spec)
                restartWindows(&entry, model: record.model)
                active[record.model] = entry
                route(record.model, spec, weight: controller.candidateWeight)
                logger.info("resumed the rollout of \(record.model): \(spec.plan.stable) → \(spec.plan.candidate) at \(controller.candidateWeight)%")
            }
        } catch {
            logger.error("cannot restore rollouts: \(error)")
        }
        while !Task.isCancelled {
            try? await Task.sleep(for: tickInterval)
            for model in active.keys.sorted() { await tick(model) }
        }
    }

    /// Starts a rollout from the version production names now to `spec.plan.candidate`.
    /// - Parameter spec: builds the spec from the stable version.
    /// - Throws: `.notFound` without a production alias, `.conflict` while another rollout runs, plan errors.
    public func start(model: String, spec build: (String) throws -> RolloutSpec, actor: String) async throws -> RolloutRecord {
        guard let production = try await registry.alias(model: model, "production") else {
            throw WardenError(.notFound, "\(model) has no production alias; a rollout moves traffic from production to the candidate, so set it first")
        }
        let spec = try build(production.version.description)
        guard let candidate = SemanticVersion(spec.plan.candidate) else {
            throw WardenError(.invalidArgument, "the candidate '\(spec.plan.candidate)' is not a version such as 1.2.0")
        }
        let controller = RolloutController(plan: spec.plan, now: clock.now)
        let record = try await registry.startRollout(RolloutRecord(
            model: model, stable: production.version, candidate: candidate, plan: spec.json(), state: Self.json(controller.snapshot),
            phase: "progressing", weight: controller.candidateWeight, startedAt: Date(), startedBy: actor, updatedAt: Date()
        ), actor: actor)
        var entry = Active(controller: controller, spec: spec)
        active[model] = entry
        try? await source.load(model: model)  // loads the candidate beside stable
        route(model, spec, weight: controller.candidateWeight)
        restartWindows(&entry, model: model)
        startCounters[model] = entry.baselines
        active[model]?.baselines = entry.baselines
        active[model]?.shadowBaseline = entry.shadowBaseline
        return record
    }

    public enum Command: String, Sendable { case pause, resume, promote, abort, rollback }

    /// Pause, resume, promote, abort or roll back by hand.
    /// - Throws: `.notFound` when no rollout of the model is running (rollback: when there is none at all).
    public func perform(_ command: Command, model: String, reason: String?, actor: String) async throws -> RolloutRecord {
        guard var entry = active[model] else {
            throw WardenError(.notFound, "no rollout of \(model) is progressing or paused; warden rollout status \(model) shows the last one")
        }
        let actions: [RolloutAction]
        switch command {
        case .pause: actions = entry.controller.pause()
        case .resume: actions = entry.controller.resume(now: clock.now)
        case .promote: actions = entry.controller.promote(reason: reason ?? "promoted by \(actor)")
        case .abort: actions = entry.controller.abort(reason ?? "aborted by \(actor)")
        case .rollback: actions = entry.controller.rollback(reason: reason ?? "rolled back by \(actor)")
        }
        active[model] = entry
        return try await apply(actions, model: model, actor: actor)
    }

    /// Feeds one window to the controller once its interval has passed.
    func tick(_ model: String) async {
        guard var entry = active[model] else { return }
        let plan = entry.spec.plan
        guard case .progressing = entry.controller.phase, entry.controller.stepStarted.duration(to: clock.now) >= plan.interval else { return }
        if (try? server.lookup(model: model, version: plan.candidate)) == nil,
            let reason = server.index().first(where: { $0.name == model && $0.version == plan.candidate })?.reason, !reason.isEmpty {
            // A candidate that cannot load fails at once: there is nothing to analyse.
            _ = try? await apply(entry.controller.abort("the candidate did not load: \(reason)"), model: model, actor: "rollout")
            return
        }
        // One window for every version, over the same span: stable's numbers sit beside the candidate's.
        var versions: [String: VersionWindow] = [:]
        var candidateP99: Duration?
        for version in [plan.stable, plan.candidate] {
            let now = counters(model, version)
            var window = (now - (entry.baselines[version] ?? Counters())).window(countingClientErrors: plan.countClientErrors)
            if let served = try? server.lookup(model: model, version: version) {
                let samples = served.latencies.drain()
                func ms(_ fraction: Double) -> Double? { LatencyWindow.quantile(samples, fraction).map { Double($0) / 1e6 } }
                window.p50Milliseconds = ms(0.5)
                window.p95Milliseconds = ms(0.95)
                window.p99Milliseconds = ms(0.99)
                window.drift = served.drift?.snapshot(reset: true).psi.values.max()
                if version == plan.candidate { candidateP99 = LatencyWindow.quantile(samples, 0.99).map { .nanoseconds(Int64($0)) } }
            }
            entry.baselines[version] = now
            versions[version] = window
        }
        // Shadow agreement over this window's mirrored requests only.
        if let summary = server.shadowComparison(model: model) {
            let compared = summary.compared - entry.shadowBaseline.compared
            if compared > 0 {
                versions[plan.candidate]?.shadowAgreement = Double(summary.top1Matches - entry.shadowBaseline.matches) / Double(compared)
                versions[plan.candidate]?.shadowCompared = compared
            }
            entry.shadowBaseline = (summary.compared, summary.top1Matches)
        }
        let candidate = versions[plan.candidate] ?? VersionWindow(requests: 0, errors: 0)
        let window = WindowStatistics(
            requests: candidate.requests, errors: candidate.errors, p99: candidateP99, drift: candidate.drift,
            shadowAgreement: candidate.shadowAgreement, versions: versions
        )
        let actions = entry.controller.tick(now: clock.now, window: window)
        active[model] = entry
        if !actions.isEmpty || entry.controller.verdicts.last.map({ if case .inconclusive = $0 { true } else { false } }) == true {
            do { _ = try await apply(actions, model: model, actor: "rollout") } catch { logger.error("rollout of \(model): \(error)") }
        }
    }

    /// Performs the controller's actions, then stores the new state with its event.
    private func apply(_ actions: [RolloutAction], model: String, actor: String) async throws -> RolloutRecord {
        guard let entry = active[model] else { throw WardenError(.notFound, "no rollout of \(model)") }
        let controller = entry.controller
        var messages: [String] = []
        var failure: String?
        for action in actions {
            switch action {
            case .setCandidateWeight(let weight): route(model, entry.spec, weight: weight)
            case .moveProduction(let version):
                if let target = SemanticVersion(version) {
                    _ = try await registry.moveAlias(model: model, alias: "production", to: target, actor: actor)
                }
            case .markCandidateFailed(let reason): failure = reason
            case .record(let message): messages.append(message)
            }
        }
        let phase: String
        let event: RegistryEvent.Kind
        switch controller.phase {
        case .progressing: phase = "progressing"; event = actions.contains { if case .record(let text) = $0 { text.hasPrefix("resumed") } else { false } } ? .rolloutResumed : .rolloutStepped
        case .paused: phase = "paused"; event = .rolloutPaused
        case .promoted: phase = "promoted"; event = .rolloutPromoted
        case .aborted: phase = "aborted"; event = .rolloutAborted
        case .rolledBack: phase = "rolled_back"; event = .rollback
        }
        var detail = ["message": messages.joined(separator: "; ")]
        if let failure { detail["candidate_failed"] = failure }
        if let verdict = controller.verdicts.last { detail["last_window"] = "\(verdict)" }
        let record = try await registry.updateRollout(
            model: model, phase: phase, weight: controller.candidateWeight, state: Self.json(controller.snapshot), event: event, detail: detail, actor: actor
        )
        if controller.phase.isFinished {
            active[model] = nil
            server.setRoute(model: model, stable: entry.spec.plan.stable, candidate: entry.spec.plan.candidate, router: nil)
            logger.notice("rollout of \(model) \(phase): \(messages.joined(separator: "; "))")
            try? await source.load(model: model)  // serve what production names now, drop the other version
        }
        return record
    }

    /// The analysis of every version of a rollout, for status.
    public func status(model: String) -> (weight: Int, verdicts: [WindowVerdict], failedWindows: Int)? {
        active[model].map { ($0.controller.candidateWeight, $0.controller.verdicts, $0.controller.failedWindows) }
    }

    private func route(_ model: String, _ spec: RolloutSpec, weight: Int) {
        let router: TrafficRouter? = weight > 0 || spec.matchHeader != nil || spec.shadowPercent > 0 ? spec.router(weight: weight) : nil
        server.setRoute(model: model, stable: spec.plan.stable, candidate: spec.plan.candidate, router: router)
    }

    /// Starts every version's window now: counters, latencies, drift and the shadow comparison.
    private func restartWindows(_ entry: inout Active, model: String) {
        for version in [entry.spec.plan.stable, entry.spec.plan.candidate] {
            entry.baselines[version] = counters(model, version)
            if let served = try? server.lookup(model: model, version: version) {
                _ = served.latencies.drain()
                _ = served.drift?.snapshot(reset: true)
            }
        }
        if let summary = server.shadowComparison(model: model) { entry.shadowBaseline = (summary.compared, summary.top1Matches) }
    }

    private func counters(_ model: String, _ version: String) -> Counters {
        guard let served = try? server.lookup(model: model, version: version) else { return Counters() }
        let stats = served.statistics.snapshot
        // A flagged contract violation counts as an error in analysis; a rejected one already failed.
        return Counters(requests: stats.success.count + stats.fail.count, errors: stats.fail.count + stats.contractViolations, clientErrors: stats.clientErrors)
    }

    /// A version's counts since the model's latest rollout started in this process (since the
    /// version loaded, when that was later or the server restarted).
    public func countersSinceStart(model: String, version: String) -> Counters {
        counters(model, version) - (startCounters[model]?[version] ?? Counters())
    }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
