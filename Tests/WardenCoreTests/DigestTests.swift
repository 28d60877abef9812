import Testing
import WardenCore

@Suite struct DigestTests {
    @Test func parsesAndPrintsTheTextForm() throws {
        let text = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
        let digest = try Digest(parsing: text)
        #expect(digest.description == text)
        #expect(digest == Digest.sha256(Array("foo".utf8)))
    }

    @Test func acceptsUpperCaseHexAndPrintsLowerCase() throws {
        let digest = try Digest(parsing: "sha256:2C26B46B68FFC68FF99B453C1D30413413422D706483BFA0F98A5E886266E7AE")
        #expect(digest.hex == "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae")
    }

    @Test(arguments: [
        ("2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae", "no algorithm prefix"),
        ("md5:d41d8cd98f00b204e9800998ecf8427e", "'md5' is not supported"),
        ("sha256:abc", "expected 64 hexadecimal digits"),
        ("sha256:zz26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae", "expected 64 hexadecimal digits"),
    ])
    func rejectsMalformedDigests(text: String, expected: String) {
        #expect {
            try Digest(parsing: text)
        } throws: { error in
            let error = error as! WardenError
            return error.code == .invalidDigest && error.message.contains(expected)
        }
    }

    @Test func hexRoundTrips() {
        let bytes: [UInt8] = [0, 1, 0x7f, 0x80, 0xfe, 0xff]
        #expect(Hex.encode(bytes) == "00017f80feff")
        #expect(Hex.decode("00017F80FEFF") == bytes)
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("gg") == nil)
    }
}
