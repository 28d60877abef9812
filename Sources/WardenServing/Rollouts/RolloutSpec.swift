import Foundation
import WardenCore

/// A rollout as it is asked for and stored: the plan and how traffic is split.
public struct RolloutSpec: Sendable, Hashable, Codable {
    public var plan: RolloutPlan
    /// A header that sends matching requests to the candidate (A/B).
    public var matchHeader: String?
    /// `exact`, `prefix` or `regex`.
    public var matchKind: String?
    public var matchValue: String?
    /// A header whose value keeps a caller on one version (sticky assignment).
    public var stickyHeader: String?
    /// The share of stable's requests mirrored to the candidate.
    public var shadowPercent: Int

    /// - Throws: `.invalidArgument` for a match that is incomplete or does not compile, or a bad shadow share.
    public init(plan: RolloutPlan, matchHeader: String? = nil, matchKind: String? = nil, matchValue: String? = nil, stickyHeader: String? = nil, shadowPercent: Int = 0) throws {
        self.plan = plan
        self.matchHeader = matchHeader
        self.matchKind = matchKind
        self.matchValue = matchValue
        self.stickyHeader = stickyHeader
        self.shadowPercent = shadowPercent
        guard (0...100).contains(shadowPercent) else { throw WardenError(.invalidArgument, "shadow is a percentage from 0 to 100, got \(shadowPercent)") }
        _ = try headerMatch()
        if plan.steps.first == 0, shadowPercent == 0, matchHeader == nil {
            throw WardenError(
                .invalidArgument,
                "a first step of 0% sends the candidate no traffic, so nothing could judge it; 0 is for a shadow test (--shadow PCT) or a header test (--match HEADER=VALUE)"
            )
        }
    }

    func headerMatch() throws -> HeaderMatch? {
        guard let matchHeader else { return nil }
        guard let value = matchValue else { throw WardenError(.invalidArgument, "a header match needs a value (HEADER=VALUE)") }
        switch matchKind ?? "exact" {
        case "exact": return try HeaderMatch(header: matchHeader, .exact(value))
        case "prefix": return try HeaderMatch(header: matchHeader, .prefix(value))
        case "regex": return try HeaderMatch(header: matchHeader, .regex(value))
        case let other: throw WardenError(.invalidArgument, "a header match is exact, prefix or regex, not '\(other)'")
        }
    }

    /// The router for a candidate weight.
    public func router(weight: Int) -> TrafficRouter {
        TrafficRouter(candidateWeight: weight, match: try? headerMatch(), stickyHeader: stickyHeader, shadowPercent: shadowPercent)
    }

    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    public static func parse(_ text: String) throws -> RolloutSpec {
        do {
            return try JSONDecoder().decode(RolloutSpec.self, from: Data(text.utf8))
        } catch {
            throw WardenError(.ioFailure, "a stored rollout plan cannot be read: \(error)", cause: error)
        }
    }
}
