import Foundation
import Hummingbird
import WardenCore
import WardenRegistry
import WardenServing

/// `/api/v1/models/:model/rollout`: start a rollout, read its state and
/// analysis, and pause, resume, promote, abort or roll it back.
struct RolloutsController {
    let registry: Registry
    let rollouts: RolloutService?
    let server: ModelServer

    func addRoutes(to group: RouterGroup<WardenRequestContext>) {
        group.on(.startRollout, use: start)
        group.on(.getRollout, use: show)
        group.on(.controlRollout, use: control)
    }

    private func service() throws -> RolloutService {
        guard let rollouts else {
            throw WardenError(.invalidArgument, "rollouts need models served from the registry; this server serves a --repository folder")
        }
        return rollouts
    }

    @Sendable func start(_ request: Request, context: WardenRequestContext) async throws -> Response {
        try context.require(.deployer)
        let name = try context.modelName()
        let body = try await JSONBody.read(request, context: context)
        let candidate = try SemanticVersion(parsing: try body.field("candidate").string())
        func number(_ key: String) throws -> Double? {
            guard let field = try body.optionalField(key) else { return nil }
            // On Linux every JSON number `is Bool`; only a boolean's objCType is "c".
            guard let value = field.value as? NSNumber, String(cString: value.objCType) != "c" else { throw field.error("must be a number") }
            return value.doubleValue
        }
        let steps = try body.optionalField("steps")?.array().map { Int(try $0.integer()) } ?? RolloutDefaults.steps
        let interval = try number("interval_seconds") ?? RolloutDefaults.interval.inSeconds
        // Bounded before they become Int64 durations: a value past Int64 would trap and stop the server.
        guard interval > 0, interval <= 86_400 else { throw WardenError(.invalidArgument, "interval_seconds must be positive and at most 86400 (a day)") }
        let maxErrorRate = try number("max_error_rate") ?? RolloutDefaults.maxErrorRate
        if let p99 = try number("max_p99_ms"), !(p99 > 0 && p99 <= 3_600_000) {
            throw WardenError(.invalidArgument, "max_p99_ms must be positive and at most 3600000 (an hour), got \(p99)")
        }
        let maxP99 = try number("max_p99_ms").map { Duration.microseconds(Int64($0 * 1000)) }
        let minRequests = (try body.optionalField("min_requests")?.integer()).map { Int($0) } ?? RolloutDefaults.minRequests
        let failureLimit = (try body.optionalField("failure_limit")?.integer()).map { Int($0) } ?? RolloutDefaults.failureLimit
        let countClientErrors = try body.optionalField("count_client_errors")?.bool() ?? false
        let maxDrift = try number("max_drift_psi")
        let minAgreement = try number("min_shadow_agreement")
        let shadow = Int(try body.optionalField("shadow")?.integer() ?? 0)
        let sticky = try body.optionalField("sticky_header")?.string()
        var matchHeader: String?, matchValue: String?
        if let match = try body.optionalField("match") {
            let text = try match.string()
            guard let equals = text.firstIndex(of: "=") else { throw match.error("must be HEADER=VALUE") }
            matchHeader = String(text[..<equals])
            matchValue = String(text[text.index(after: equals)...])
        }
        let matchKind = try body.optionalField("match_kind")?.string()
        let record = try await service().start(model: name, spec: { stable in
            try RolloutSpec(
                plan: RolloutPlan(
                    stable: stable, candidate: candidate.description, steps: steps, interval: .milliseconds(Int64(interval * 1000)),
                    maxErrorRate: maxErrorRate, maxP99: maxP99, minRequests: minRequests, failureLimit: failureLimit,
                    maxDriftPSI: maxDrift, minShadowAgreement: minAgreement, countClientErrors: countClientErrors
                ),
                matchHeader: matchHeader, matchKind: matchKind, matchValue: matchValue, stickyHeader: sticky, shadowPercent: shadow
            )
        }, actor: context.actor)
        return JSONBody.response(try await describe(record), status: .created)
    }

    @Sendable func show(_ request: Request, context: WardenRequestContext) async throws -> Response {
        try context.require(.reader)
        let name = try context.modelName()
        guard let record = try await registry.rollout(model: name) else {
            throw WardenError(.notFound, "\(name) has never had a rollout; start one with warden rollout start \(name) --to VERSION")
        }
        return JSONBody.response(try await describe(record))
    }

    @Sendable func control(_ request: Request, context: WardenRequestContext) async throws -> Response {
        try context.require(.deployer)
        let name = try context.modelName()
        let text = try context.parameters.require("command")
        guard let command = RolloutService.Command(rawValue: text) else {
            throw WardenError(.notFound, "no rollout command '\(text)'; the commands are pause, resume, promote, abort and rollback")
        }
        var reason: String?
        let buffer = try await request.readWholeBody(limit: 1 << 16) { "the command's body is larger than \($0) bytes" }
        if buffer.readableBytes > 0 {
            let body = try JSONField.parse(Array(buffer.readableBytesView), what: "the request body", code: .invalidArgument)
            reason = try body.optionalField("reason")?.string()
        }
        let record = try await service().perform(command, model: name, reason: reason, actor: context.actor)
        return JSONBody.response(try await describe(record))
    }

    /// One version's numbers over the last judged window.
    static func describe(_ window: VersionWindow) -> [String: Any] {
        var object: [String: Any] = ["requests": window.requests, "errors": window.errors, "error_rate": window.errorRate]
        if let clientErrors = window.clientErrors { object["client_errors"] = clientErrors }
        object["p50_ms"] = window.p50Milliseconds as Any
        object["p95_ms"] = window.p95Milliseconds as Any
        object["p99_ms"] = window.p99Milliseconds as Any
        if let drift = window.drift { object["drift_psi_max"] = drift }
        if let agreement = window.shadowAgreement { object["shadow_top1_agreement"] = agreement }
        if let compared = window.shadowCompared { object["shadow_compared"] = compared }
        return object
    }

    /// The stored record, the live analysis and each version's counters.
    private func describe(_ record: RolloutRecord) async throws -> [String: Any] {
        var object: [String: Any] = [
            "model": record.model, "stable": record.stable.description, "candidate": record.candidate.description,
            "phase": record.phase, "weight": record.weight, "started_at": record.startedAt.iso8601, "started_by": record.startedBy,
            "updated_at": record.updatedAt.iso8601,
        ]
        if let spec = try? RolloutSpec.parse(record.plan) {
            object["plan"] = [
                "steps": spec.plan.steps, "interval_seconds": spec.plan.interval.inSeconds,
                "max_error_rate": spec.plan.maxErrorRate, "min_requests": spec.plan.minRequests, "failure_limit": spec.plan.failureLimit,
                "count_client_errors": spec.plan.countClientErrors,
                "max_drift_psi": spec.plan.maxDriftPSI as Any, "min_shadow_agreement": spec.plan.minShadowAgreement as Any,
                "shadow": spec.shadowPercent, "sticky_header": spec.stickyHeader as Any, "match": spec.matchHeader.map { "\($0)=\(spec.matchValue ?? "")" } as Any,
            ]
        }
        let state = try? JSONDecoder().decode(RolloutController<ContinuousClock.Instant>.Snapshot.self, from: Data(record.state.utf8))
        if let state {
            object["failed_windows"] = state.failedWindows
            object["windows"] = state.verdicts.map { verdict -> [String: String] in
                switch verdict {
                case .passed: ["verdict": "passed"]
                case .failed(let reason): ["verdict": "failed", "reason": reason]
                case .inconclusive(let reason): ["verdict": "inconclusive", "reason": reason]
                }
            }
        }
        var versions: [[String: Any]] = []
        for version in [record.stable.description, record.candidate.description] {
            guard let served = try? server.lookup(model: record.model, version: version) else {
                var row: [String: Any] = ["version": version, "served": false]
                if let window = state?.lastWindows?[version] { row["last_window"] = Self.describe(window) }
                versions.append(row)
                continue
            }
            let stats = served.statistics.snapshot
            let meanMs = stats.success.count > 0 ? Double(stats.success.nanoseconds) / Double(stats.success.count) / 1e6 : 0
            // This rollout's requests, not the version's since it loaded (a previous rollout's).
            let counts = await rollouts?.countersSinceStart(model: record.model, version: version)
                ?? RolloutService.Counters(requests: stats.success.count + stats.fail.count, errors: stats.fail.count, clientErrors: stats.clientErrors)
            var row: [String: Any] = [
                "version": version, "served": true, "requests": counts.requests, "errors": counts.errors - counts.clientErrors,
                "client_errors": counts.clientErrors, "contract_violations": stats.contractViolations, "mean_ms": meanMs,
            ]
            // Latency percentiles of the current window (the candidate's restarts at each verdict).
            let samples = served.latencies.peek()
            for (name, fraction) in [("p50_ms", 0.5), ("p95_ms", 0.95), ("p99_ms", 0.99)] {
                row[name] = LatencyWindow.quantile(samples, fraction).map { Double($0) / 1e6 } as Any
            }
            if let drift = served.drift?.snapshot() {
                row["drift_psi"] = drift.psi
                row["drift_observations"] = drift.observations
            }
            if let window = state?.lastWindows?[version] { row["last_window"] = Self.describe(window) }
            versions.append(row)
        }
        object["versions"] = versions
        if let shadow = server.shadowComparison(model: record.model), shadow.compared + shadow.candidateErrors > 0 {
            object["shadow"] = [
                "compared": shadow.compared, "top1_agreement": shadow.top1Agreement, "max_abs_diff": shadow.maxAbsDiff,
                "candidate_errors": shadow.candidateErrors,
            ]
        }
        return object
    }
}
