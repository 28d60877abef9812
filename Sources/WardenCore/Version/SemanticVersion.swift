/// A Semantic Versioning 2.0.0 version: `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`.
///
/// Parsing is strict and every error cites the rule of semver.org it breaks.
/// Equality, hashing and ordering follow SemVer precedence (§11), so build
/// metadata is ignored: `1.0.0+a == 1.0.0+b`. Use `isIdentical(to:)` to compare text.
///
/// ```swift
/// let version = try SemanticVersion("1.4.0-rc.1+build.7")
/// version < (try SemanticVersion("1.4.0"))   // true: a pre-release precedes its release
/// ```
public struct SemanticVersion: Sendable, Hashable, Comparable, CustomStringConvertible, LosslessStringConvertible {
    /// One dot-separated pre-release identifier.
    public enum Identifier: Sendable, Hashable, Comparable, CustomStringConvertible {
        case numeric(UInt64)
        case alphanumeric(String)

        public var description: String {
            switch self {
            case .numeric(let value): String(value)
            case .alphanumeric(let value): value
            }
        }

        /// §11.4: numeric identifiers compare numerically and precede
        /// alphanumeric ones, which compare by ASCII order.
        public static func < (lhs: Identifier, rhs: Identifier) -> Bool {
            switch (lhs, rhs) {
            case (.numeric(let a), .numeric(let b)): a < b
            case (.numeric, .alphanumeric): true
            case (.alphanumeric, .numeric): false
            case (.alphanumeric(let a), .alphanumeric(let b)): Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
            }
        }
    }

    public let major: UInt64
    public let minor: UInt64
    public let patch: UInt64
    public let prerelease: [Identifier]
    public let build: [String]

    public init(major: UInt64, minor: UInt64, patch: UInt64, prerelease: [Identifier] = [], build: [String] = []) {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.prerelease = prerelease
        self.build = build
    }

    /// Parses a version string.
    /// - Throws: `WardenError` `.invalidVersion` naming the broken SemVer rule.
    public init(parsing text: String) throws {
        func fail(_ rule: String, _ why: String) -> WardenError {
            WardenError(.invalidVersion, "'\(text)' is not a semantic version: \(why) (SemVer 2.0.0 §\(rule)); write it as MAJOR.MINOR.PATCH, e.g. 1.4.0 or 2.0.0-rc.1")
        }
        if text.hasPrefix("v") || text.hasPrefix("V") {
            throw fail("2", "remove the leading '\(text.first!)'")
        }
        var rest = Substring(text)
        var build: [String] = []
        if let plus = rest.firstIndex(of: "+") {
            let metadata = rest[rest.index(after: plus)...]
            rest = rest[..<plus]
            build = metadata.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            for identifier in build {
                guard !identifier.isEmpty else { throw fail("10", "build metadata has an empty identifier") }
                guard identifier.utf8.allSatisfy(Self.isIdentifierByte) else {
                    throw fail("10", "build identifier '\(identifier)' may hold only ASCII letters, digits and '-'")
                }
            }
        }
        var prerelease: [Identifier] = []
        if let dash = rest.firstIndex(of: "-") {
            let tag = rest[rest.index(after: dash)...]
            rest = rest[..<dash]
            for part in tag.split(separator: ".", omittingEmptySubsequences: false) {
                guard !part.isEmpty else { throw fail("9", "the pre-release has an empty identifier") }
                guard part.utf8.allSatisfy(Self.isIdentifierByte) else {
                    throw fail("9", "pre-release identifier '\(part)' may hold only ASCII letters, digits and '-'")
                }
                if part.utf8.allSatisfy(Self.isDigit) {
                    guard part == "0" || part.first != "0" else {
                        throw fail("9", "numeric pre-release identifier '\(part)' has a leading zero")
                    }
                    guard let value = UInt64(part) else { throw fail("9", "pre-release identifier '\(part)' is too large") }
                    prerelease.append(.numeric(value))
                } else {
                    prerelease.append(.alphanumeric(String(part)))
                }
            }
        }
        let core = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard core.count == 3 else {
            throw fail("2", "it needs exactly three numbers, MAJOR.MINOR.PATCH, but has \(core.count)")
        }
        var numbers: [UInt64] = []
        for (name, part) in zip(["MAJOR", "MINOR", "PATCH"], core) {
            guard !part.isEmpty, part.utf8.allSatisfy(Self.isDigit) else {
                throw fail("2", "\(name) '\(part)' must be a non-negative integer")
            }
            guard part == "0" || part.first != "0" else { throw fail("2", "\(name) '\(part)' has a leading zero") }
            guard let value = UInt64(part) else { throw fail("2", "\(name) '\(part)' is too large") }
            numbers.append(value)
        }
        self.init(major: numbers[0], minor: numbers[1], patch: numbers[2], prerelease: prerelease, build: build)
    }

    /// Parses a version string; nil when it is not valid (see `init(parsing:)` for the reason).
    public init?(_ description: String) {
        guard let version = try? SemanticVersion(parsing: description) else { return nil }
        self = version
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private static func isIdentifierByte(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte == 0x2d
    }

    public var isPrerelease: Bool { !prerelease.isEmpty }

    /// The release this version belongs to: the same MAJOR.MINOR.PATCH with no pre-release or build.
    public var release: SemanticVersion { SemanticVersion(major: major, minor: minor, patch: patch) }

    public var description: String {
        var text = "\(major).\(minor).\(patch)"
        if !prerelease.isEmpty { text += "-" + prerelease.map(\.description).joined(separator: ".") }
        if !build.isEmpty { text += "+" + build.joined(separator: ".") }
        return text
    }

    /// Whether the two are the same text, build metadata included.
    public func isIdentical(to other: SemanticVersion) -> Bool {
        self == other && build == other.build
    }

    // MARK: Precedence (§11): build metadata takes no part.

    public static func == (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) == (rhs.major, rhs.minor, rhs.patch) && lhs.prerelease == rhs.prerelease
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(major)
        hasher.combine(minor)
        hasher.combine(patch)
        hasher.combine(prerelease)
    }

    public static func < (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool {
        if (lhs.major, lhs.minor, lhs.patch) != (rhs.major, rhs.minor, rhs.patch) {
            return (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
        }
        // §11.3: a pre-release precedes its release.
        switch (lhs.prerelease.isEmpty, rhs.prerelease.isEmpty) {
        case (true, true), (true, false): return false
        case (false, true): return true
        case (false, false): return lhs.prerelease.lexicographicallyPrecedes(rhs.prerelease)
        }
    }
}
