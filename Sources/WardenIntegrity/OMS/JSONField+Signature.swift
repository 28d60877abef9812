import WardenCore

extension JSONField {
    /// Reads a signature document: every error is `.malformedSignature`.
    static func parse(_ bytes: [UInt8], what: String) throws -> JSONField {
        try parse(bytes, what: what, code: .malformedSignature, guess: "truncated or not a signature file?")
    }

    static func malformed(_ message: String, cause: (any Error)? = nil) -> WardenError {
        WardenError(.malformedSignature, message, cause: cause)
    }
}
