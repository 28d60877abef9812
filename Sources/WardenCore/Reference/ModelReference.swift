/// A name for a model version: `name@1.2.0` (an exact version), `name:production`
/// (an alias) or a bare `name` (its latest version).
///
/// Model names are letters, digits, `.`, `_` and `-`, starting with a letter
/// or digit (`fraud`, `team.fraud-v2`): one URL path segment, so no `/`.
/// Aliases are `[a-z0-9-]+`.
public struct ModelReference: Sendable, Hashable, CustomStringConvertible, LosslessStringConvertible {
    public enum Selector: Sendable, Hashable {
        case latest
        case version(SemanticVersion)
        case alias(String)
    }

    public let name: String
    public let selector: Selector

    public init(name: String, selector: Selector = .latest) throws {
        try Self.validateName(name)
        if case .alias(let alias) = selector { try Self.validateAlias(alias) }
        self.name = name
        self.selector = selector
    }

    /// Parses `name`, `name@VERSION` or `name:ALIAS`.
    /// - Throws: `.invalidArgument` saying which part is wrong and how to write it.
    public init(parsing text: String) throws {
        if let at = text.firstIndex(of: "@") {
            let version = try SemanticVersion(parsing: String(text[text.index(after: at)...]))
            try self.init(name: String(text[..<at]), selector: .version(version))
        } else if let colon = text.lastIndex(of: ":") {
            try self.init(name: String(text[..<colon]), selector: .alias(String(text[text.index(after: colon)...])))
        } else {
            try self.init(name: text)
        }
    }

    public init?(_ description: String) {
        guard let parsed = try? ModelReference(parsing: description) else { return nil }
        self = parsed
    }

    public var version: SemanticVersion? {
        if case .version(let version) = selector { return version }
        return nil
    }

    public var description: String {
        switch selector {
        case .latest: name
        case .version(let version): "\(name)@\(version)"
        case .alias(let alias): "\(name):\(alias)"
        }
    }

    public static let maximumNameLength = 200

    /// - Throws: `.invalidArgument` naming the offending character or segment.
    public static func validateName(_ name: String) throws {
        func fail(_ why: String) -> WardenError {
            WardenError(.invalidArgument, "'\(name)' is not a valid model name: \(why); use letters, digits, '.', '_' and '-', starting with a letter or digit, e.g. fraud-detector or team.fraud-detector")
        }
        guard !name.isEmpty else { throw fail("it is empty") }
        guard name.utf8.count <= maximumNameLength else { throw fail("it is longer than \(maximumNameLength) bytes") }
        guard let first = name.unicodeScalars.first, isAlphanumeric(first) else { throw fail("it must start with a letter or digit") }
        if let bad = name.unicodeScalars.first(where: { !isAlphanumeric($0) && !"._-".unicodeScalars.contains($0) }) {
            throw fail("it contains '\(bad)'")
        }
    }

    /// - Throws: `.invalidArgument` when `alias` is not `[a-z0-9-]+`.
    public static func validateAlias(_ alias: String) throws {
        guard !alias.isEmpty, alias.utf8.count <= 63,
              alias.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" })
        else {
            throw WardenError(.invalidArgument, "'\(alias)' is not a valid alias: use 1 to 63 lowercase letters, digits and '-', e.g. production or canary-eu")
        }
    }

    private static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}
