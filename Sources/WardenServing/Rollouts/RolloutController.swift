import WardenCore

/// What a rollout is asked to do: move traffic from `stable` to `candidate`
/// step by step, each step held for `interval`, judged by the thresholds.
public struct RolloutPlan: Sendable, Hashable {
    public var stable: String
    public var candidate: String
    /// Candidate weights in percent, increasing, ending at 100 (e.g. 5, 25, 50, 100). The first
    /// may be 0 for a shadow or header test (`RolloutSpec` checks the strategy allows it).
    public var steps: [Int]
    public var interval: Duration
    public var maxErrorRate: Double
    public var maxP99: Duration?
    /// A window with fewer candidate requests is inconclusive: the step waits.
    public var minRequests: Int
    /// Failed windows in a row that abort the rollout.
    public var failureLimit: Int
    /// Above this PSI on any input feature (against the card's references) a window fails.
    public var maxDriftPSI: Double?
    /// Below this top-1 agreement with stable on shadowed requests a window fails.
    public var minShadowAgreement: Double?
    /// Whether requests refused as the client's fault (4xx) count as the version's errors.
    /// Off by default, as in Argo Rollouts' and Flagger's usual analyses: twelve malformed
    /// requests say nothing about the candidate.
    public var countClientErrors: Bool

    /// - Throws: `.invalidArgument` naming what is wrong with the plan.
    public init(
        stable: String, candidate: String, steps: [Int] = RolloutDefaults.steps, interval: Duration = RolloutDefaults.interval,
        maxErrorRate: Double = RolloutDefaults.maxErrorRate, maxP99: Duration? = nil, minRequests: Int = RolloutDefaults.minRequests,
        failureLimit: Int = RolloutDefaults.failureLimit, maxDriftPSI: Double? = nil, minShadowAgreement: Double? = nil,
        countClientErrors: Bool = false
    ) throws {
        guard stable != candidate else { throw WardenError(.invalidArgument, "the candidate is the stable version (\(stable)); roll out another version") }
        let increasing = zip(steps, steps.dropFirst()).allSatisfy { $0 < $1 }
        guard !steps.isEmpty, steps.allSatisfy({ (0...100).contains($0) }), increasing, steps.last == 100 else {
            throw WardenError(.invalidArgument, "steps must be increasing percentages that end at 100, such as 5,25,50,100 (0 first for a shadow or header test: 0,100); got \(steps)")
        }
        guard interval > .zero else { throw WardenError(.invalidArgument, "the interval must be positive") }
        guard (0...1).contains(maxErrorRate) else { throw WardenError(.invalidArgument, "the maximum error rate is a fraction from 0 to 1, such as 0.01; got \(maxErrorRate)") }
        guard minRequests >= 1, failureLimit >= 1 else { throw WardenError(.invalidArgument, "min requests and the failure limit must be at least 1") }
        if let maxDriftPSI, maxDriftPSI < 0 { throw WardenError(.invalidArgument, "the maximum drift PSI must be ≥ 0, such as 0.25") }
        if let minShadowAgreement, !(0...1).contains(minShadowAgreement) { throw WardenError(.invalidArgument, "the minimum shadow agreement is a fraction from 0 to 1, such as 0.95") }
        self.maxDriftPSI = maxDriftPSI
        self.minShadowAgreement = minShadowAgreement
        self.stable = stable
        self.candidate = candidate
        self.steps = steps
        self.interval = interval
        self.maxErrorRate = maxErrorRate
        self.maxP99 = maxP99
        self.minRequests = minRequests
        self.failureLimit = failureLimit
        self.countClientErrors = countClientErrors
    }
}

/// The defaults of a rollout plan, in one place: the server's API, the CLI's help and the docs
/// name these.
public enum RolloutDefaults {
    public static let steps = [5, 25, 50, 100]
    public static let interval = Duration.seconds(30)
    public static let maxErrorRate = 0.01
    public static let minRequests = 100
    public static let failureLimit = 2
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// Stored (in the rollouts table, events and the audit log) with the interval in seconds and
/// the p99 limit in milliseconds. Plans stored before that, with Swift's `Duration` encoding
/// (`"interval":[0,1000000000000000000]`, seconds and attoseconds), still decode.
extension RolloutPlan: Codable {
    enum CodingKeys: String, CodingKey {
        case stable, candidate, steps, maxErrorRate, minRequests, failureLimit, maxDriftPSI, minShadowAgreement, countClientErrors
        case intervalSeconds, maxP99Milliseconds
        case interval, maxP99  // the older encoding
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        stable = try container.decode(String.self, forKey: .stable)
        candidate = try container.decode(String.self, forKey: .candidate)
        steps = try container.decode([Int].self, forKey: .steps)
        maxErrorRate = try container.decode(Double.self, forKey: .maxErrorRate)
        minRequests = try container.decode(Int.self, forKey: .minRequests)
        failureLimit = try container.decode(Int.self, forKey: .failureLimit)
        maxDriftPSI = try container.decodeIfPresent(Double.self, forKey: .maxDriftPSI)
        minShadowAgreement = try container.decodeIfPresent(Double.self, forKey: .minShadowAgreement)
        countClientErrors = try container.decodeIfPresent(Bool.self, forKey: .countClientErrors) ?? false
        if let seconds = try container.decodeIfPresent(Double.self, forKey: .intervalSeconds) {
            interval = .milliseconds(Int64((seconds * 1000).rounded()))
        } else {
            interval = try container.decode(Duration.self, forKey: .interval)
        }
        if let milliseconds = try container.decodeIfPresent(Double.self, forKey: .maxP99Milliseconds) {
            maxP99 = .microseconds(Int64((milliseconds * 1000).rounded()))
        } else {
            maxP99 = try container.decodeIfPresent(Duration.self, forKey: .maxP99)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(stable, forKey: .stable)
        try container.encode(candidate, forKey: .candidate)
        try container.encode(steps, forKey: .steps)
        try container.encode(interval.inSeconds, forKey: .intervalSeconds)
        try container.encode(maxErrorRate, forKey: .maxErrorRate)
        try container.encodeIfPresent(maxP99.map { $0.inSeconds * 1000 }, forKey: .maxP99Milliseconds)
        try container.encode(minRequests, forKey: .minRequests)
        try container.encode(failureLimit, forKey: .failureLimit)
        try container.encodeIfPresent(maxDriftPSI, forKey: .maxDriftPSI)
        try container.encodeIfPresent(minShadowAgreement, forKey: .minShadowAgreement)
        try container.encode(countClientErrors, forKey: .countClientErrors)
    }
}

/// The candidate's numbers over one analysis window.
public struct WindowStatistics: Sendable, Hashable {
    public var requests: Int
    public var errors: Int
    public var p99: Duration?
    /// The largest PSI of any input feature in the window, when the card declares references.
    public var drift: Double?
    /// Top-1 agreement of the candidate with stable on the requests shadowed in this window.
    public var shadowAgreement: Double?
    /// Every version's numbers over the same window (stable's beside the candidate's), kept
    /// with the verdict for status; the verdict itself is on the candidate's.
    public var versions: [String: VersionWindow]

    public init(requests: Int, errors: Int, p99: Duration? = nil, drift: Double? = nil, shadowAgreement: Double? = nil, versions: [String: VersionWindow] = [:]) {
        self.requests = requests
        self.errors = errors
        self.p99 = p99
        self.drift = drift
        self.shadowAgreement = shadowAgreement
        self.versions = versions
    }

    public var errorRate: Double { requests == 0 ? 0 : Double(errors) / Double(requests) }
}

/// One version's numbers over one analysis window.
public struct VersionWindow: Sendable, Hashable, Codable {
    /// Requests the analysis counts (client errors only when the plan counts them).
    public var requests: Int
    public var errors: Int
    /// Requests refused as the client's fault (4xx) in the window, shown apart from `errors`.
    public var clientErrors: Int?
    /// Latency percentiles in milliseconds, nil without requests.
    public var p50Milliseconds: Double?
    public var p95Milliseconds: Double?
    public var p99Milliseconds: Double?
    /// The largest PSI of any input feature, when the card declares references.
    public var drift: Double?
    /// For the candidate of a shadow rollout: top-1 agreement and requests compared in the window.
    public var shadowAgreement: Double?
    public var shadowCompared: Int?

    public init(requests: Int, errors: Int, p50Milliseconds: Double? = nil, p95Milliseconds: Double? = nil, p99Milliseconds: Double? = nil, drift: Double? = nil, shadowAgreement: Double? = nil, shadowCompared: Int? = nil) {
        self.requests = requests
        self.errors = errors
        self.p50Milliseconds = p50Milliseconds
        self.p95Milliseconds = p95Milliseconds
        self.p99Milliseconds = p99Milliseconds
        self.drift = drift
        self.shadowAgreement = shadowAgreement
        self.shadowCompared = shadowCompared
    }

    public var errorRate: Double { requests == 0 ? 0 : Double(errors) / Double(requests) }
}

/// How one window was judged.
public enum WindowVerdict: Sendable, Hashable, Codable {
    case passed
    case failed(String)
    /// Too few requests to judge: the step waits, it neither passes nor fails.
    case inconclusive(String)
}

/// Where a rollout is.
public enum RolloutPhase: Sendable, Hashable, Codable {
    case progressing(step: Int)
    case paused(step: Int)
    case promoted
    case aborted(reason: String)
    case rolledBack(to: String)

    public var isFinished: Bool {
        switch self {
        case .progressing, .paused: false
        case .promoted, .aborted, .rolledBack: true
        }
    }
}

/// What the controller asks the world to do; the caller performs them in order.
public enum RolloutAction: Sendable, Hashable {
    /// Send this percentage of traffic to the candidate (0: all to stable).
    case setCandidateWeight(Int)
    /// Move the production alias to this version.
    case moveProduction(to: String)
    /// Mark the candidate failed, with the reason.
    case markCandidateFailed(String)
    /// Record an event (and so an audit entry): what happened and why.
    case record(String)
}

/// A rollout as a value-type state machine: inputs in, actions out, no I/O and
/// no clock of its own (the caller passes `now`), so every transition is a unit test.
///
/// ```swift
/// var rollout = RolloutController(plan: plan, now: clock.now)      // actions: weight 5
/// let actions = rollout.tick(now: clock.now, window: stats)        // judged once per interval
/// ```
public struct RolloutController<Instant: InstantProtocol & Sendable>: Sendable where Instant.Duration == Duration {
    public let plan: RolloutPlan
    public private(set) var phase: RolloutPhase
    public private(set) var stepStarted: Instant
    public private(set) var failedWindows = 0
    public private(set) var verdicts: [WindowVerdict] = []
    /// Each version's numbers over the last judged window.
    public private(set) var lastWindows: [String: VersionWindow] = [:]
    /// What starting asked for.
    public let startActions: [RolloutAction]

    public init(plan: RolloutPlan, now: Instant) {
        self.plan = plan
        phase = .progressing(step: 0)
        stepStarted = now
        startActions = [.setCandidateWeight(plan.steps[0]), .record("rollout started: \(plan.stable) → \(plan.candidate) at \(plan.steps[0])%")]
    }

    /// What survives a restart, but the clock: the caller knows how long ago the step began.
    public struct Snapshot: Sendable, Hashable, Codable {
        public var phase: RolloutPhase
        public var failedWindows: Int
        public var verdicts: [WindowVerdict]
        /// Each version's numbers over the last judged window (absent in rollouts stored before it was kept).
        public var lastWindows: [String: VersionWindow]?

        public init(phase: RolloutPhase, failedWindows: Int, verdicts: [WindowVerdict], lastWindows: [String: VersionWindow]? = nil) {
            self.phase = phase
            self.failedWindows = failedWindows
            self.verdicts = verdicts
            self.lastWindows = lastWindows
        }
    }

    public var snapshot: Snapshot {
        Snapshot(phase: phase, failedWindows: failedWindows, verdicts: Array(verdicts.suffix(50)), lastWindows: lastWindows.isEmpty ? nil : lastWindows)
    }

    /// A controller restored from its snapshot.
    /// - Parameter stepElapsed: how long the current step had run when the rollout was stored, so a
    ///   restart neither restarts the step's interval nor skips it (the stored time of the last transition).
    public init(plan: RolloutPlan, snapshot: Snapshot, now: Instant, stepElapsed: Duration = .zero) {
        self.plan = plan
        phase = snapshot.phase
        failedWindows = snapshot.failedWindows
        verdicts = snapshot.verdicts
        lastWindows = snapshot.lastWindows ?? [:]
        stepStarted = now.advanced(by: .zero - max(.zero, stepElapsed))
        startActions = []
    }

    /// The candidate's weight now.
    public var candidateWeight: Int {
        switch phase {
        case .progressing(let step), .paused(let step): plan.steps[step]
        case .promoted: 100
        case .aborted, .rolledBack: 0
        }
    }

    /// Judges the window once the step's interval has passed; before that, nothing happens.
    public mutating func tick(now: Instant, window: WindowStatistics) -> [RolloutAction] {
        guard case .progressing(let step) = phase, stepStarted.duration(to: now) >= plan.interval else { return [] }
        let verdict = judge(window)
        verdicts.append(verdict)
        if !window.versions.isEmpty { lastWindows = window.versions }
        switch verdict {
        case .inconclusive:
            // Hold the step and judge a fresh window later; low traffic never passes or fails a step.
            stepStarted = now
            return []
        case .failed(let reason):
            failedWindows += 1
            stepStarted = now
            guard failedWindows >= plan.failureLimit else { return [.record("window failed at \(plan.steps[step])% (\(failedWindows) of \(plan.failureLimit)): \(reason)")] }
            return abort("\(failedWindows) failed windows in a row: \(reason)")
        case .passed:
            failedWindows = 0
            stepStarted = now
            let next = step + 1
            guard next < plan.steps.count else { return promote(reason: "every step passed") }
            phase = .progressing(step: next)
            return [.setCandidateWeight(plan.steps[next]), .record("step passed; candidate at \(plan.steps[next])%")]
        }
    }

    func judge(_ window: WindowStatistics) -> WindowVerdict {
        guard window.requests >= plan.minRequests else {
            return .inconclusive("\(window.requests) requests, fewer than the \(plan.minRequests) needed to judge")
        }
        if window.errorRate > plan.maxErrorRate {
            return .failed("error rate \(window.errorRate) is above \(plan.maxErrorRate)")
        }
        if let limit = plan.maxP99, let p99 = window.p99, p99 > limit {
            return .failed("p99 \(p99) is above \(limit)")
        }
        if let limit = plan.maxDriftPSI, let drift = window.drift, drift > limit {
            return .failed("input drift PSI \(drift) is above \(limit)")
        }
        if let limit = plan.minShadowAgreement, let agreement = window.shadowAgreement, agreement < limit {
            return .failed("shadow top-1 agreement \(agreement) is below \(limit)")
        }
        return .passed
    }

    public mutating func pause() -> [RolloutAction] {
        guard case .progressing(let step) = phase else { return [] }
        phase = .paused(step: step)
        return [.record("paused at \(plan.steps[step])%")]
    }

    public mutating func resume(now: Instant) -> [RolloutAction] {
        guard case .paused(let step) = phase else { return [] }
        phase = .progressing(step: step)
        stepStarted = now
        return [.record("resumed at \(plan.steps[step])%")]
    }

    /// Promotes at once, from any step, running or paused.
    public mutating func promote(reason: String = "promoted by hand") -> [RolloutAction] {
        guard !phase.isFinished else { return [] }
        phase = .promoted
        return [.setCandidateWeight(100), .moveProduction(to: plan.candidate), .record("promoted \(plan.candidate): \(reason)")]
    }

    /// Aborts at once: all traffic back to stable, the candidate marked failed.
    public mutating func abort(_ reason: String) -> [RolloutAction] {
        guard !phase.isFinished else { return [] }
        phase = .aborted(reason: reason)
        return [.setCandidateWeight(0), .markCandidateFailed(reason), .record("aborted: \(reason)")]
    }

    /// Rolls back from any state: traffic and production go back to stable, even after promotion.
    public mutating func rollback(reason: String) -> [RolloutAction] {
        if case .rolledBack = phase { return [] }
        let wasPromoted = phase == .promoted
        phase = .rolledBack(to: plan.stable)
        var actions: [RolloutAction] = [.setCandidateWeight(0)]
        if wasPromoted { actions.append(.moveProduction(to: plan.stable)) }
        actions.append(.record("rolled back to \(plan.stable): \(reason)"))
        return actions
    }
}
