import Foundation
import WardenCore

/// Reads untrusted JSON, naming the exact location of anything wrong
/// (`dsseEnvelope.signatures[0].sig`), so a malformed signature file says where.
struct JSONField {
    let value: Any
    let path: String

    static func parse(_ bytes: [UInt8], what: String) throws -> JSONField {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } catch {
            let hint = bytes.isEmpty ? "it is empty" : "it is not valid JSON (truncated or not a signature file?)"
            throw malformed("\(what) cannot be read: \(hint)", cause: error)
        }
        return JSONField(value: object, path: "")
    }

    static func malformed(_ message: String, cause: (any Error)? = nil) -> WardenError {
        WardenError(.malformedSignature, message, cause: cause)
    }

    private func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
    private var location: String { path.isEmpty ? "the top level" : path }

    func object() throws -> [String: Any] {
        guard let object = value as? [String: Any] else { throw Self.malformed("\(location) must be a JSON object") }
        return object
    }

    func field(_ key: String) throws -> JSONField {
        guard let value = try object()[key], !(value is NSNull) else {
            throw Self.malformed("\(child(key)) is missing")
        }
        return JSONField(value: value, path: child(key))
    }

    func optionalField(_ key: String) throws -> JSONField? {
        guard let value = try object()[key], !(value is NSNull) else { return nil }
        return JSONField(value: value, path: child(key))
    }

    func string() throws -> String {
        guard let string = value as? String else { throw Self.malformed("\(location) must be a string") }
        return string
    }

    func bool() throws -> Bool {
        guard let bool = value as? Bool else { throw Self.malformed("\(location) must be true or false") }
        return bool
    }

    /// An integer, also accepted in the integral floating-point form Python writes (`1000000000.0`).
    func integer() throws -> Int64 {
        if let int = value as? Int, !(value is Bool) { return Int64(int) }
        if let double = value as? Double, double.rounded() == double, abs(double) < 9.0e15 { return Int64(double) }
        if let number = value as? NSNumber {
            let double = number.doubleValue
            if double.rounded() == double, abs(double) < 9.0e15 { return Int64(double) }
        }
        throw Self.malformed("\(location) must be a whole number")
    }

    func array() throws -> [JSONField] {
        guard let array = value as? [Any] else { throw Self.malformed("\(location) must be a JSON array") }
        return array.enumerated().map { JSONField(value: $1, path: "\(path)[\($0)]") }
    }

    func base64() throws -> [UInt8] {
        let text = try string()
        guard let data = Data(base64Encoded: text) else { throw Self.malformed("\(location) is not valid base64") }
        return Array(data)
    }
}
