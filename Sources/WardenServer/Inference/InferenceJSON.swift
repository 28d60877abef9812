import Foundation
import WardenCore

/// A JSON value parsed straight from bytes, for inference requests.
///
/// `JSONSerialization` boxes every number of a tensor's `data` in an NSNumber
/// and bridges every array on access; for a 28×28 image that alone held the
/// server to about 700 requests/s (bench/serve.sh). This reader builds plain
/// Swift values in one pass and parses numbers without allocating.
enum InferenceJSON: Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([InferenceJSON])
    case object([String: InferenceJSON])

    /// - Throws: `.invalidArgument` saying where the JSON stops being valid.
    static func parse(_ bytes: ArraySlice<UInt8>, what: String) throws -> InferenceJSON {
        try bytes.withUnsafeBufferPointer { buffer in
            var parser = Parser(bytes: buffer, what: what)
            parser.skipSpace()
            let value = try parser.value(depth: 0)
            parser.skipSpace()
            guard parser.index == buffer.count else { throw parser.fail("unexpected text after the JSON value") }
            return value
        }
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        let what: String
        var index = 0

        func fail(_ why: String) -> WardenError {
            WardenError(.invalidArgument, "\(what) cannot be read: it is not valid JSON (\(why) at byte \(index))")
        }

        mutating func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
        }

        mutating func literal(_ text: StaticString, _ value: InferenceJSON) throws -> InferenceJSON {
            let count = text.utf8CodeUnitCount
            guard index + count <= bytes.count else { throw fail("truncated") }
            for offset in 0..<count where bytes[index + offset] != text.utf8Start[offset] { throw fail("unknown word") }
            index += count
            return value
        }

        mutating func value(depth: Int) throws -> InferenceJSON {
            guard depth < 64 else { throw fail("nested too deeply") }
            guard index < bytes.count else { throw fail("truncated") }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                index += 1
                var object: [String: InferenceJSON] = [:]
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(object) }
                while true {
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                    let key = try string()
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                    index += 1
                    skipSpace()
                    object[key] = try value(depth: depth + 1)
                    skipSpace()
                    guard index < bytes.count else { throw fail("truncated") }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(object) }
                    throw fail("expected ',' or '}'")
                }
            case UInt8(ascii: "["):
                index += 1
                var array: [InferenceJSON] = []
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(array) }
                while true {
                    skipSpace()
                    array.append(try value(depth: depth + 1))
                    skipSpace()
                    guard index < bytes.count else { throw fail("truncated") }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(array) }
                    throw fail("expected ',' or ']'")
                }
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "n"): return try literal("null", .null)
            case UInt8(ascii: "N"): return try literal("NaN", .number(.nan))
            case UInt8(ascii: "I"): return try literal("Infinity", .number(.infinity))
            default: return .number(try number())
            }
        }

        mutating func string() throws -> String {
            index += 1  // the opening quote
            let start = index
            var plain = true
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                if bytes[index] == UInt8(ascii: "\\") { plain = false; index += 1 }
                else if bytes[index] < 0x20 { throw fail("a control character in a string") }
                index += 1
            }
            guard index < bytes.count else { throw fail("an unterminated string") }
            let raw = UnsafeBufferPointer(rebasing: bytes[start..<index])
            index += 1
            if plain { return String(decoding: raw, as: UTF8.self) }
            // Escapes are rare in requests: let Foundation decode them exactly.
            let quoted = [UInt8(ascii: "\"")] + Array(raw) + [UInt8(ascii: "\"")]
            guard let text = try? JSONSerialization.jsonObject(with: Data(quoted), options: [.fragmentsAllowed]) as? String else {
                throw fail("a bad escape in a string")
            }
            return text
        }

        /// Decimal numbers with up to 19 significant digits and a small exponent are
        /// computed exactly (the mantissa and 10^e are both exact doubles); anything
        /// else goes through the standard library's correctly rounded parser.
        mutating func number() throws -> Double {
            let start = index
            var negative = false
            if bytes[index] == UInt8(ascii: "-") {
                negative = true
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "I") {
                    _ = try literal("Infinity", .null)
                    return -.infinity
                }
            }
            var mantissa: UInt64 = 0
            var digits = 0
            var exponent = 0
            var sawDigit = false
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                sawDigit = true
                if digits < 19 { mantissa = mantissa * 10 + UInt64(bytes[index] - 0x30); if mantissa > 0 { digits += 1 } } else { exponent += 1 }
                index += 1
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                    sawDigit = true
                    if digits < 19 { mantissa = mantissa * 10 + UInt64(bytes[index] - 0x30); exponent -= 1; if mantissa > 0 { digits += 1 } }
                    index += 1
                }
            }
            guard sawDigit else { throw fail("a bad number") }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                var sign = 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                    sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
                    index += 1
                }
                var value = 0
                var sawExponent = false
                while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                    sawExponent = true
                    if value < 100_000 { value = value * 10 + Int(bytes[index] - 0x30) }
                    index += 1
                }
                guard sawExponent else { throw fail("a bad number") }
                exponent += sign * value
            }
            if mantissa < 1 << 53, abs(exponent) <= 22 {
                let magnitude = exponent >= 0 ? Double(mantissa) * Self.powers[exponent] : Double(mantissa) / Self.powers[-exponent]
                return negative ? -magnitude : magnitude
            }
            guard let value = Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)) else {
                throw fail("a bad number")
            }
            return value
        }

        static let powers: [Double] = (0...22).map { exponent in (0..<exponent).reduce(1.0) { value, _ in value * 10 } }
    }
}

/// A value in an inference request and where it is, so errors say `inputs[0].shape[1]`.
struct InferenceField {
    let value: InferenceJSON
    let path: String

    func error(_ why: String) -> WardenError {
        WardenError(.invalidArgument, "\(path.isEmpty ? "the top level" : path) \(why)")
    }

    private func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func object() throws -> [String: InferenceJSON] {
        guard case .object(let object) = value else { throw error("must be a JSON object") }
        return object
    }

    func field(_ key: String) throws -> InferenceField {
        guard let value = try optionalField(key) else { throw WardenError(.invalidArgument, "\(child(key)) is missing") }
        return value
    }

    func optionalField(_ key: String) throws -> InferenceField? {
        guard let value = try object()[key], value != .null else { return nil }
        return InferenceField(value: value, path: child(key))
    }

    func string() throws -> String {
        guard case .string(let text) = value else { throw error("must be a string") }
        return text
    }

    func bool() throws -> Bool {
        guard case .bool(let flag) = value else { throw error("must be true or false") }
        return flag
    }

    func integer() throws -> Int64 {
        guard case .number(let number) = value, number.rounded() == number, abs(number) < 9.0e15 else { throw error("must be a whole number") }
        return Int64(number)
    }

    func array() throws -> [InferenceField] {
        guard case .array(let values) = value else { throw error("must be a JSON array") }
        return values.enumerated().map { InferenceField(value: $1, path: "\(path)[\($0)]") }
    }
}
