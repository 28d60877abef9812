import Crypto
import Foundation
import WardenCore

/// Which version a request goes to during a rollout.
public enum Route: Sendable, Hashable {
    case stable
    case candidate
    /// Stable answers; a copy goes to the candidate for comparison.
    case stableWithShadow
}

/// A header rule for A/B routing: requests whose header matches go to the candidate.
public struct HeaderMatch: Sendable {
    public enum Kind: Sendable { case exact(String), prefix(String), regex(String) }
    public let header: String
    public let kind: Kind
    private let expression: NSRegularExpression?

    /// - Throws: `.invalidArgument` for a regex that does not compile.
    public init(header: String, _ kind: Kind) throws {
        self.header = header.lowercased()
        self.kind = kind
        if case .regex(let pattern) = kind {
            do {
                expression = try NSRegularExpression(pattern: pattern)
            } catch {
                throw WardenError(.invalidArgument, "the header match '\(pattern)' is not a valid regular expression: \(error.localizedDescription)")
            }
        } else {
            expression = nil
        }
    }

    func matches(_ value: String) -> Bool {
        switch kind {
        case .exact(let text): return value == text
        case .prefix(let text): return value.hasPrefix(text)
        case .regex:
            guard let expression else { return false }
            return expression.firstMatch(in: value, range: NSRange(value.startIndex..., in: value)) != nil
        }
    }
}

/// Routes requests for one rollout: a header match first, then sticky assignment by a
/// key header, then the weight; shadow mirroring applies to stable's share.
///
/// Sticky assignment hashes the key to a point in [0, 100): the key goes to the
/// candidate when its point is below the weight. The point never changes, so as the
/// weight grows a key moves from stable to candidate once and never back.
public struct TrafficRouter: Sendable {
    public var candidateWeight: Int
    public var match: HeaderMatch?
    public var stickyHeader: String?
    public var shadowPercent: Int

    public init(candidateWeight: Int, match: HeaderMatch? = nil, stickyHeader: String? = nil, shadowPercent: Int = 0) {
        self.candidateWeight = candidateWeight
        self.match = match
        self.stickyHeader = stickyHeader?.lowercased()
        self.shadowPercent = shadowPercent
    }

    /// - Parameters:
    ///   - headers: the request's headers, names lowercased.
    ///   - draw: a uniform number in [0, 100) for requests without a sticky key (the caller's random source).
    public func route(headers: [String: String], draw: Double) -> Route {
        if let match, let value = headers[match.header], match.matches(value) { return .candidate }
        let point: Double
        if let stickyHeader, let key = headers[stickyHeader] {
            point = Self.point(for: key)
        } else {
            point = draw
        }
        if point < Double(candidateWeight) { return .candidate }
        // Shadow uses the other end of the range, so it does not depend on the weight split.
        if shadowPercent > 0, 100 - point <= Double(shadowPercent) { return .stableWithShadow }
        return .stable
    }

    /// A key's fixed point in [0, 100).
    static func point(for key: String) -> Double {
        let digest = Array(SHA256.hash(data: Data(key.utf8)))
        let value = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Double(value >> 11) / Double(1 << 53) * 100
    }
}
