/// The one error type Warden's libraries throw at their public edges.
///
/// `code` is stable and safe to match on; `message` is for people and says
/// what to do; `cause` keeps the underlying error for logs and for callers
/// that want the detail (for example a `ManifestDifference`).
public struct WardenError: Error, Sendable, CustomStringConvertible {
    /// A stable, machine-readable error code.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        // Input the user gave.
        public static let invalidArgument = Code(rawValue: "invalid_argument")
        public static let invalidDigest = Code(rawValue: "invalid_digest")
        public static let invalidVersion = Code(rawValue: "invalid_version")
        public static let invalidModel = Code(rawValue: "invalid_model")
        public static let invalidGraph = Code(rawValue: "invalid_graph")
        public static let externalDataRefused = Code(rawValue: "external_data_refused")
        public static let pathNotFound = Code(rawValue: "path_not_found")
        public static let unreadableFile = Code(rawValue: "unreadable_file")
        public static let emptyModel = Code(rawValue: "empty_model")
        public static let symlinkRefused = Code(rawValue: "symlink_refused")
        public static let symlinkEscapes = Code(rawValue: "symlink_escapes_model")
        public static let unsupportedFileType = Code(rawValue: "unsupported_file_type")
        public static let invalidKey = Code(rawValue: "invalid_key")
        public static let unsupportedKey = Code(rawValue: "unsupported_key")
        public static let privateKeyWherePublicExpected = Code(rawValue: "private_key_where_public_expected")
        public static let publicKeyWherePrivateExpected = Code(rawValue: "public_key_where_private_expected")
        public static let ioFailure = Code(rawValue: "io_failure")
        public static let invalidCard = Code(rawValue: "invalid_card")
        public static let cardContradictsModel = Code(rawValue: "card_contradicts_model")
        public static let semverViolation = Code(rawValue: "semver_violation")
        public static let notFound = Code(rawValue: "not_found")
        public static let conflict = Code(rawValue: "conflict")
        public static let payloadTooLarge = Code(rawValue: "payload_too_large")
        public static let unauthenticated = Code(rawValue: "unauthenticated")
        public static let forbidden = Code(rawValue: "forbidden")
        public static let signatureRequired = Code(rawValue: "signature_required")
        public static let unsupportedOperator = Code(rawValue: "unsupported_operator")

        // Integrity verdicts: the thing checked is not OK.
        public static let malformedSignature = Code(rawValue: "malformed_signature")
        public static let invalidResourceName = Code(rawValue: "invalid_resource_name")
        public static let digestMismatch = Code(rawValue: "digest_mismatch")
        public static let modelModified = Code(rawValue: "model_modified")
        public static let untrustedSignature = Code(rawValue: "untrusted_signature")
        public static let thresholdNotMet = Code(rawValue: "threshold_not_met")
    }

    public let code: Code
    public let message: String
    public let cause: (any Error)?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { message }

    /// True when the error is a verdict on the thing checked (a bad signature,
    /// a modified model) rather than a problem with the request itself.
    public var isIntegrityFailure: Bool {
        switch code {
        case .malformedSignature, .invalidResourceName, .digestMismatch, .modelModified,
            .untrustedSignature, .thresholdNotMet:
            true
        default:
            false
        }
    }
}
