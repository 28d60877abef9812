import Foundation
import Hummingbird
import WardenCore

extension WardenRequestContext {
    /// The `:model` path parameter, validated.
    func modelName() throws -> String {
        let name = try parameters.require("model")
        try ModelReference.validateName(name)
        return name
    }

    /// The `:version` path parameter as a SemVer.
    func version() throws -> SemanticVersion {
        try SemanticVersion(parsing: try parameters.require("version"))
    }

    /// The `:alias` path parameter, validated.
    func aliasName() throws -> String {
        let alias = try parameters.require("alias")
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
