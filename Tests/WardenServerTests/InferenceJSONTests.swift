import Foundation
import Testing
import WardenCore
import WardenTestSupport
@testable import WardenServer

@Suite("The inference request JSON reader")
struct InferenceJSONTests {
    func parse(_ text: String) throws -> InferenceJSON {
        try InferenceJSON.parse(Array(text.utf8)[...], what: "the request")
    }

    @Test("numbers parse to the same double the standard library gives, fast path or not")
    func numbers() throws {
        let texts = ["0", "-0", "1", "5.1", "-3.25", "0.1", "1e-5", "1E+3", "123456789012345678", "1.7976931348623157e308",
                     "4.9e-324", "0.30000000000000004", "12345678901234567890123", "3.141592653589793238462643383279", "-2.5e-22", "7e22", "8e23"]
        for text in texts {
            #expect(try parse(text) == .number(Double(text)!), "\(text)")
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let value = Float(bitPattern: UInt32.random(in: 0..<0x7f00_0000, using: &generator)) * (Bool.random() ? 1 : -1)
            let text = "\(value)"
            #expect(try parse(text) == .number(Double(text)!), "\(text)")
        }
        #expect(try parse("NaN") != .number(0))
        #expect(try parse("-Infinity") == .number(-.infinity))
    }

    @Test("structure, strings with escapes, and whitespace")
    func structure() throws {
        let value = try parse(#" { "a" : [1, [2, 3], {"b": null}], "s": "x\"y\u00e9\n", "t": true, "f": false } "#)
        guard case .object(let object) = value else { Issue.record("not an object"); return }
        #expect(object["s"] == .string("x\"yé\n"))
        #expect(object["t"] == .bool(true))
        #expect(object["a"] == .array([.number(1), .array([.number(2), .number(3)]), .object(["b": .null])]))
    }

    @Test("invalid JSON is an invalid_argument error saying where")
    func errors() throws {
        for text in ["", "{", "[1,]", "{\"a\" 1}", "[1 2]", "tru", "\"open", "{\"a\":1} x", "-", "1e", "[\"a\nb\"]"] {
            expectWardenError(.invalidArgument, containing: "the request cannot be read: it is not valid JSON") { _ = try parse(text) }
        }
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        expectWardenError(.invalidArgument, containing: "nested too deeply") { _ = try parse(deep) }
    }
}
