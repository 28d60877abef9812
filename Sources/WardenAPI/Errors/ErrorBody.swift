import Foundation

/// Every registry API error: `{"error": {"code": "...", "message": "..."}}`, with the HTTP
/// status `WardenError`'s code maps to. `code` is a `WardenError.Code` raw value (stable);
/// `message` says what is wrong and what to do.
public struct ErrorBody: Sendable, Equatable, Codable {
    public struct Detail: Sendable, Equatable, Codable {
        public var code: String
        public var message: String
        /// A publish the semver rule refused (`semver_violation`): what the change required,
        /// what the version number allowed, from which baseline, and the version to use instead.
        public var semver: SemverViolation?

        public init(code: String, message: String, semver: SemverViolation? = nil) {
            self.code = code
            self.message = message
            self.semver = semver
        }

        enum CodingKeys: String, CodingKey {
            case code, message
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            code = try container.decode(String.self, forKey: .code)
            message = try container.decode(String.self, forKey: .message)
            semver = try? SemverViolation(from: decoder)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(code, forKey: .code)
            try container.encode(message, forKey: .message)
            try semver?.encode(to: encoder)
        }
    }

    /// The fields a semver refusal adds to the error, beside `code` and `message`.
    public struct SemverViolation: Sendable, Equatable, Codable {
        public var requiredBump: String
        public var allowedBump: String
        public var baseline: String
        public var suggestedVersion: String
        public var reasons: [String]

        public init(requiredBump: String, allowedBump: String, baseline: String, suggestedVersion: String, reasons: [String]) {
            self.requiredBump = requiredBump
            self.allowedBump = allowedBump
            self.baseline = baseline
            self.suggestedVersion = suggestedVersion
            self.reasons = reasons
        }

        enum CodingKeys: String, CodingKey {
            case requiredBump = "required_bump", allowedBump = "allowed_bump", baseline, suggestedVersion = "suggested_version", reasons
        }
    }

    public var error: Detail

    public init(_ error: Detail) {
        self.error = error
    }
}
