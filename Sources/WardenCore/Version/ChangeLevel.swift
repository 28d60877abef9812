/// How much a model changed between two versions, in SemVer terms.
///
/// Ordered: `none < patch < minor < major`. A diff computes the level a
/// change *requires*; a version number grants the level it *allows*
/// (`SemanticVersion.allowedChange(since:)`).
public enum ChangeLevel: Int, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    /// Identical models.
    case none
    /// Only trained values or non-model files changed.
    case patch
    /// The architecture changed, or the interface grew compatibly.
    case minor
    /// The interface changed in a way that breaks callers.
    case major

    public var description: String {
        switch self {
        case .none: "NONE"
        case .patch: "PATCH"
        case .minor: "MINOR"
        case .major: "MAJOR"
        }
    }

    public static func < (lhs: ChangeLevel, rhs: ChangeLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Parses `none`, `patch`, `minor` or `major`, in any case.
    public init?(name: String) {
        guard let level = Self.allCases.first(where: { $0.description == name.uppercased() }) else { return nil }
        self = level
    }
}

extension SemanticVersion {
    /// The most a model may change from `baseline` to this version.
    ///
    /// - A higher MAJOR allows anything; a higher MINOR allows `.minor`; a higher PATCH allows `.patch`.
    /// - In `0.y.z` (initial development, SemVer §4) every component shifts up one place, as Cargo
    ///   reads it: a higher `y` allows anything, a higher `z` allows `.minor`.
    /// - A pre-release is judged by its release line: `2.0.0-rc.1` after `1.4.0` allows `.major`.
    ///
    /// Returns nil when this version does not come after `baseline`'s release line.
    public func allowedChange(since baseline: SemanticVersion) -> ChangeLevel? {
        let line = release
        let base = baseline.release
        guard line > base else { return nil }
        if line.major > base.major { return .major }
        if line.minor > base.minor { return line.major == 0 ? .major : .minor }
        return line.major == 0 ? .minor : .patch
    }

    /// The version a candidate is judged against: the highest *release* among
    /// `existing` that precedes the candidate's release line. Pre-releases are
    /// unstable by definition (SemVer §9) and promise nothing, so they are skipped;
    /// so are the candidate's own pre-releases (`2.0.0` is judged against `1.x`,
    /// not against `2.0.0-rc.3`).
    public func baseline(among existing: some Sequence<SemanticVersion>) -> SemanticVersion? {
        let line = release
        return existing.filter { !$0.isPrerelease && $0 < line }.max()
    }
}
