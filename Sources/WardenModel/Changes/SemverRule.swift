import WardenCore

/// The rule that keeps version numbers honest: a version may differ from the
/// one before it only as much as its number says.
///
/// Publishing 1.4.1 after 1.4.0 allows PATCH-level changes at most, 1.5.0
/// allows MINOR, 2.0.0 allows anything. Pre-releases are judged by their
/// release line; `0.y.z` versions shift one place, as Cargo reads them
/// (`SemanticVersion.allowedChange(since:)`). The registry calls this with
/// the candidate's baseline (`SemanticVersion.baseline(among:)`).
public enum SemverRule {
    /// The detail of a rejection, carried as the error's `cause`.
    public struct Violation: Error, Sendable, Hashable {
        public let previous: SemanticVersion
        public let candidate: SemanticVersion
        public let granted: ChangeLevel
        public let required: ChangeLevel
        /// The smallest version that would be allowed.
        public let suggested: SemanticVersion
        public let reasons: [String]
    }

    public enum Verdict: Sendable {
        /// The number covers the change.
        case allowed(required: ChangeLevel, granted: ChangeLevel)
        /// The change needs a bigger bump than the number gives.
        case rejected(WardenError)
    }

    /// Judges `candidate` against `previous`.
    ///
    /// - Parameter previous: the baseline version and its description, or nil for a model's first version.
    public static func evaluate(
        previous: (version: SemanticVersion, model: ModelDescription)?,
        candidate: (version: SemanticVersion, model: ModelDescription)
    ) -> Verdict {
        guard let previous else { return .allowed(required: .none, granted: .major) }
        return evaluate(previous: previous.version, candidate: candidate.version, change: ChangeAssessment(from: previous.model, to: candidate.model))
    }

    /// Judges a version number against an already computed change.
    public static func evaluate(previous: SemanticVersion, candidate: SemanticVersion, change: ChangeAssessment) -> Verdict {
        guard let granted = candidate.allowedChange(since: previous) else {
            return .rejected(WardenError(
                .semverViolation,
                "version \(candidate) does not come after \(previous); publish a higher version than \(previous)"
            ))
        }
        guard change.required <= granted else {
            let needed = suggestion(after: previous, for: change.required)
            let why = change.reasons.prefix(5).joined(separator: "; ")
            return .rejected(WardenError(
                .semverViolation,
                "\(candidate) after \(previous) allows \(granted) changes, but this version needs a \(change.required) bump (\(why)); publish it as \(needed) or later",
                cause: Violation(previous: previous, candidate: candidate, granted: granted, required: change.required, suggested: needed, reasons: change.reasons)
            ))
        }
        return .allowed(required: change.required, granted: granted)
    }

    /// Throws when the verdict is a rejection; otherwise returns the required level.
    @discardableResult
    public static func check(previous: SemanticVersion, candidate: SemanticVersion, change: ChangeAssessment) throws -> ChangeLevel {
        switch evaluate(previous: previous, candidate: candidate, change: change) {
        case .allowed(let required, _): return required
        case .rejected(let error): throw error
        }
    }

    /// The smallest release after `previous` that grants `level` (`0.y.z` shifts one place).
    public static func suggestion(after previous: SemanticVersion, for level: ChangeLevel) -> SemanticVersion {
        let base = previous.release
        switch (level, base.major == 0) {
        case (.major, false): return SemanticVersion(major: base.major + 1, minor: 0, patch: 0)
        case (.major, true), (.minor, false): return SemanticVersion(major: base.major, minor: base.minor + 1, patch: 0)
        default: return SemanticVersion(major: base.major, minor: base.minor, patch: base.patch + 1)
        }
    }
}
