import Foundation

/// Reads untrusted JSON, naming the exact location of anything wrong
/// (`dsseEnvelope.signatures[0].sig`, `files[2].digest`), so a malformed
/// signature file or request body says where.
///
/// Every error is a `WardenError` with the reader's `code`.
public struct JSONField: @unchecked Sendable {
    // `value` holds only JSONSerialization's immutable output.
    public let value: Any
    public let path: String
    /// The code of every error this reader throws.
    public let code: WardenError.Code

    public init(value: Any, path: String, code: WardenError.Code) {
        self.value = value
        self.path = path
        self.code = code
    }

    /// Parses `bytes` as JSON.
    /// - Parameters:
    ///   - what: how errors name the document ("the request body").
    ///   - guess: what invalid JSON most likely means, for the error message.
    public static func parse(_ bytes: [UInt8], what: String, code: WardenError.Code, guess: String = "truncated?") throws -> JSONField {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } catch {
            let hint = bytes.isEmpty ? "it is empty" : "it is not valid JSON (\(guess))"
            throw WardenError(code, "\(what) cannot be read: \(hint)", cause: error)
        }
        return JSONField(value: object, path: "", code: code)
    }

    /// An error at this location: `files[2].digest must be a string`.
    public func error(_ why: String) -> WardenError {
        WardenError(code, "\(location) \(why)")
    }

    private func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
    public var location: String { path.isEmpty ? "the top level" : path }

    public func object() throws -> [String: Any] {
        guard let object = value as? [String: Any] else { throw error("must be a JSON object") }
        return object
    }

    public func field(_ key: String) throws -> JSONField {
        guard let value = try object()[key], !(value is NSNull) else {
            throw WardenError(code, "\(child(key)) is missing")
        }
        return JSONField(value: value, path: child(key), code: code)
    }

    public func optionalField(_ key: String) throws -> JSONField? {
        guard let value = try object()[key], !(value is NSNull) else { return nil }
        return JSONField(value: value, path: child(key), code: code)
    }

    public func string() throws -> String {
        guard let string = value as? String else { throw error("must be a string") }
        return string
    }

    public func bool() throws -> Bool {
        guard let bool = value as? Bool else { throw error("must be true or false") }
        return bool
    }

    /// An integer, also accepted in the integral floating-point form Python writes (`1000000000.0`).
    public func integer() throws -> Int64 {
        if let int = value as? Int, !(value is Bool) { return Int64(int) }
        if let double = value as? Double, double.rounded() == double, abs(double) < 9.0e15 { return Int64(double) }
        if let number = value as? NSNumber {
            let double = number.doubleValue
            if double.rounded() == double, abs(double) < 9.0e15 { return Int64(double) }
        }
        throw error("must be a whole number")
    }

    public func array() throws -> [JSONField] {
        guard let array = value as? [Any] else { throw error("must be a JSON array") }
        return array.enumerated().map { JSONField(value: $1, path: "\(path)[\($0)]", code: code) }
    }

    public func base64() throws -> [UInt8] {
        let text = try string()
        guard let data = Data(base64Encoded: text) else { throw error("is not valid base64") }
        return Array(data)
    }
}
