import Foundation
import Hummingbird
import WardenCore

extension WardenRequestContext {
    /// A path parameter, percent-decoded: the router hands them over as sent, and
    /// clients encode `+` in `1.0.0+build` or any byte outside the URL's safe set.
    func pathParameter(_ name: String) throws -> String {
        let raw = try parameters.require(name)
        guard let decoded = raw.removingPercentEncoding else {
            throw WardenError(.invalidArgument, "the path parameter \(name) '\(raw)' has a malformed percent-encoding")
        }
        return decoded
    }

    /// The `:model` path parameter, validated.
    func modelName() throws -> String {
        let name = try pathParameter("model")
        try ModelReference.validateName(name)
        return name
    }

    /// The `:version` path parameter as a SemVer.
    func version() throws -> SemanticVersion {
        try SemanticVersion(parsing: try pathParameter("version"))
    }

    /// The `:alias` path parameter, validated.
    func aliasName() throws -> String {
        let alias = try pathParameter("alias")
        try ModelReference.validateAlias(alias)
        return alias
    }
}

extension Request {
    /// An integer query parameter within bounds, or the default.
    func integer(_ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = uri.queryParameters[name[...]] else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw WardenError(.invalidArgument, "query parameter '\(name)' must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
        }
        return number
    }

    func query(_ name: String) -> String? {
        uri.queryParameters[name[...]].map(String.init)
    }
}
