import Foundation
import Testing
@testable import WardenRegistry

/// `SigV4Signer` against AWS's published SigV4 test vectors (Fixtures/sigv4, see its README):
/// the canonical request, the string to sign, the signature and the Authorization header.
@Suite struct SigV4SignerTests {
    /// One vector folder, read into a request and its expected results.
    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let folder: URL

        var testDescription: String { name }

        func text(_ file: String) throws -> String {
            try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
        }

        static var all: [Vector] {
            guard let root = Bundle.module.resourceURL?.appendingPathComponent("Fixtures/sigv4"),
                  let names = try? FileManager.default.contentsOfDirectory(atPath: root.path)
            else { return [] }
            return names.sorted().compactMap { name in
                let folder = root.appendingPathComponent(name)
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
                return Vector(name: name, folder: folder)
            }
        }
    }

    struct Context: Decodable {
        struct Credentials: Decodable {
            var access_key_id: String
            var secret_access_key: String
            var token: String?
        }
        var credentials: Credentials
        var region: String
        var service: String
        var sign_body: Bool
        var timestamp: String
    }

    /// Parses request.txt: `METHOD PATH[?QUERY] HTTP/1.1`, `Name:value` lines, a blank line, the body.
    static func parse(_ text: String) -> (request: SigV4Signer.Request, body: Data) {
        let halves = text.components(separatedBy: "\n\n")
        var lines = halves[0].components(separatedBy: "\n")
        let requestLine = lines.removeFirst()
        let words = requestLine.split(separator: " ")
        let method = String(words[0])
        // The path may hold spaces (get-space-unnormalized): everything between the method and the version.
        let target = requestLine.dropFirst(method.count + 1).dropLast(" HTTP/1.1".count)
        let pieces = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let query: [(String, String)] = pieces.count > 1 && !pieces[1].isEmpty
            ? pieces[1].split(separator: "&").map { pair in
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return (String(parts[0]).removingPercentEncoding ?? String(parts[0]),
                        parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : "")
            }
            : []
        let headers = lines.filter { !$0.isEmpty }.map { line -> (String, String) in
            let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
        let body = halves.count > 1 ? Data(halves[1...].joined(separator: "\n\n").utf8) : Data()
        return (SigV4Signer.Request(method: method, path: String(pieces[0]), query: query, headers: headers), body)
    }

    @Test func theFixturesAreThere() {
        #expect(Vector.all.count >= 10, "Fixtures/sigv4 holds \(Vector.all.count) vectors")
    }

    @Test(arguments: Vector.all)
    func matchesAWSTestVector(_ vector: Vector) throws {
        let context = try JSONDecoder().decode(Context.self, from: Data(try vector.text("context.json").utf8))
        let (request, body) = Self.parse(try vector.text("request.txt"))
        let date = try #require(ISO8601DateFormatter().date(from: context.timestamp))
        var signer = SigV4Signer(
            credentials: .init(
                accessKeyID: context.credentials.access_key_id,
                secretAccessKey: context.credentials.secret_access_key,
                sessionToken: context.credentials.token
            ),
            region: context.region,
            service: context.service
        )
        signer.sendsContentHash = context.sign_body
        let payload = SigV4Signer.Payload.sha256(SigV4Signer.hexSHA256(body))
        let steps = signer.steps(request, payload: payload, date: date)

        #expect(steps.canonicalRequest == (try vector.text("header-canonical-request.txt")))
        #expect(steps.stringToSign == (try vector.text("header-string-to-sign.txt")))
        #expect(steps.signature == (try vector.text("header-signature.txt")).trimmingCharacters(in: .whitespacesAndNewlines))

        let signed = try vector.text("header-signed-request.txt")
        let authorization = signer.sign(request, payload: payload, date: date).first { $0.0 == "authorization" }?.1
        #expect(signed.contains("Authorization:\(authorization ?? "none")\n"), "signed request:\n\(signed)")
    }

    @Test func unsignedPayloadIsSentAndSigned() throws {
        let signer = SigV4Signer(credentials: .init(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "secret"), region: "us-east-1", service: "s3")
        let request = SigV4Signer.Request(method: "PUT", path: "/bucket/blobs/sha256/ab", headers: [("host", "127.0.0.1:9000")])
        let date = Date(timeIntervalSince1970: 1_440_938_160)
        let steps = signer.steps(request, payload: .unsigned, date: date)
        #expect(steps.added.contains { $0 == ("x-amz-content-sha256", "UNSIGNED-PAYLOAD") })
        #expect(steps.signedHeaders == "host;x-amz-content-sha256;x-amz-date")
        #expect(steps.canonicalRequest.hasSuffix("\nUNSIGNED-PAYLOAD"))
        #expect(steps.scope == "20150830/us-east-1/s3/aws4_request")
    }

    @Test func timestampsAreBasicISO8601InUTC() {
        #expect(SigV4Signer.timestamp(Date(timeIntervalSince1970: 1_440_938_160)) == "20150830T123600Z")
        #expect(SigV4Signer.timestamp(Date(timeIntervalSince1970: 0)) == "19700101T000000Z")
        #expect(SigV4Signer.timestamp(Date(timeIntervalSince1970: 951_782_400)) == "20000229T000000Z")
        #expect(SigV4Signer.timestamp(Date(timeIntervalSince1970: 4_102_444_799)) == "20991231T235959Z")
    }

    @Test func pathsAndQueriesAreEncodedOnceAsS3SignsThem() {
        #expect(SigV4Signer.canonicalPath("/bucket/a b/c+d/é") == "/bucket/a%20b/c%2Bd/%C3%A9")
        #expect(SigV4Signer.canonicalPath("//double//slash") == "//double//slash")
        #expect(SigV4Signer.canonicalQuery([("uploads", ""), ("prefix", "a/b c"), ("list-type", "2")]) == "list-type=2&prefix=a%2Fb%20c&uploads=")
    }
}
