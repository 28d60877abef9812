import Crypto
import Foundation

/// AWS Signature Version 4 for requests sent in headers (the `Authorization`
/// header), as S3 and S3-compatible servers check it.
///
/// Written from AWS's specification ("Create a signed AWS API request") and
/// checked against AWS's published test suite (Tests/WardenRegistryTests/Fixtures/sigv4).
/// S3 signs the path as sent: each segment percent-encoded once, no dot
/// segments removed, no slashes collapsed.
///
/// ```swift
/// let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "s3")
/// let added = signer.sign(SigV4Signer.Request(method: "GET", path: "/bucket/key", host: "127.0.0.1:9000"),
///                         payload: .unsigned, date: Date())
/// ```
///
/// Lives in its own file because swift-crypto declares a `Digest` protocol that
/// would make Warden's `Digest` ambiguous elsewhere in the module.
struct SigV4Signer: Sendable {
    /// The keys a request is signed with.
    struct Credentials: Sendable, Equatable {
        var accessKeyID: String
        var secretAccessKey: String
        /// Temporary credentials (STS) carry a token, sent as `x-amz-security-token`.
        var sessionToken: String?
    }

    /// How the body enters the signature.
    enum Payload: Sendable, Equatable {
        /// `UNSIGNED-PAYLOAD`: S3 accepts it over any transport; the blob store checks the
        /// bytes itself with SHA-256, so hashing every part twice would buy nothing.
        case unsigned
        /// The SHA-256 of the body, lowercase hex.
        case sha256(String)

        static let empty = Payload.sha256(SigV4Signer.hexSHA256(Data()))

        var value: String {
            switch self {
            case .unsigned: "UNSIGNED-PAYLOAD"
            case .sha256(let hex): hex
            }
        }
    }

    /// What the signature covers.
    struct Request: Sendable {
        var method: String
        /// The path as the server will decode it (not percent-encoded), starting with "/".
        var path: String
        /// Query parameters, decoded; a key without a value has "".
        var query: [(String, String)] = []
        /// Header names and values as they will be sent; `host` must be among them or given below.
        var headers: [(String, String)] = []
    }

    let credentials: Credentials
    let region: String
    let service: String
    /// S3 wants `x-amz-content-sha256` on every request; the generic test vectors only when the body is signed.
    var sendsContentHash = true

    /// The headers to add to `request`: `x-amz-date`, `x-amz-security-token` (with a session
    /// token), `x-amz-content-sha256` (for S3) and `authorization`, in that order.
    func sign(_ request: Request, payload: Payload, date: Date) -> [(String, String)] {
        let parts = steps(request, payload: payload, date: date)
        let authorization = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(parts.scope), "
            + "SignedHeaders=\(parts.signedHeaders), Signature=\(parts.signature)"
        return parts.added + [("authorization", authorization)]
    }

    /// Every intermediate result, for the test vectors and for error reports.
    struct Steps {
        var added: [(String, String)]
        var canonicalRequest: String
        var stringToSign: String
        var scope: String
        var signedHeaders: String
        var signature: String
    }

    func steps(_ request: Request, payload: Payload, date: Date) -> Steps {
        let timestamp = Self.timestamp(date)
        let day = String(timestamp.prefix(8))
        var added = [("x-amz-date", timestamp)]
        if let token = credentials.sessionToken { added.append(("x-amz-security-token", token)) }
        if sendsContentHash { added.append(("x-amz-content-sha256", payload.value)) }

        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(request.headers + added)
        let canonicalRequest = [
            request.method.uppercased(),
            Self.canonicalPath(request.path),
            Self.canonicalQuery(request.query),
            canonicalHeaders,
            signedHeaders,
            payload.value,
        ].joined(separator: "\n")

        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", timestamp, scope, Self.hexSHA256(Data(canonicalRequest.utf8))].joined(separator: "\n")

        var key = SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key))
        return Steps(
            added: added, canonicalRequest: canonicalRequest, stringToSign: stringToSign,
            scope: scope, signedHeaders: signedHeaders, signature: signature
        )
    }

    // MARK: Canonical forms

    /// `20150830T123600Z`: the basic ISO 8601 form SigV4 uses, always UTC.
    static func timestamp(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds.quotientAndRemainder(dividingBy: 86_400)
        let (day, second) = days.remainder < 0 ? (days.quotient - 1, days.remainder + 86_400) : days
        let (year, month, dayOfMonth) = civilDate(daysSinceEpoch: day)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)\(two(month))\(two(dayOfMonth))T\(two(second / 3600))\(two(second % 3600 / 60))\(two(second % 60))Z"
    }

    /// Howard Hinnant's days-to-civil: a proleptic Gregorian date without a Calendar or a locale.
    private static func civilDate(daysSinceEpoch days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Each segment percent-encoded once, slashes kept.
    static func canonicalPath(_ path: String) -> String {
        path.isEmpty ? "/" : percentEncode(path, keepingSlash: true)
    }

    /// Parameters encoded, sorted by key then value, joined with `&`.
    static func canonicalQuery(_ query: [(String, String)]) -> String {
        let encoded: [(key: String, value: String)] = query.map { (percentEncode($0.0), percentEncode($0.1)) }
        let sorted = encoded.sorted { first, second in
            first.key == second.key ? first.value < second.value : first.key < second.key
        }
        return sorted.map { pair in pair.key + "=" + pair.value }.joined(separator: "&")
    }

    /// Lowercase names, sorted; values trimmed with inner runs of spaces collapsed; repeated
    /// names joined with commas in the order given.
    static func canonicalHeaders(_ headers: [(String, String)]) -> (canonical: String, signed: String) {
        var values: [String: [String]] = [:]
        for (name, value) in headers {
            values[name.lowercased(), default: []].append(trim(value))
        }
        let names = values.keys.sorted()
        let canonical = names.map { "\($0):\(values[$0]!.joined(separator: ","))\n" }.joined()
        return (canonical, names.joined(separator: ";"))
    }

    private static func trim(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            .trimmingCharacters(in: .whitespaces)
    }

    /// RFC 3986 encoding: everything but `A-Z a-z 0-9 - . _ ~` (and `/` in paths) as `%XX`, uppercase.
    static func percentEncode(_ text: String, keepingSlash: Bool = false) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        let digits = Array("0123456789ABCDEF".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepingSlash:
                result.append("/")
            default:
                result.append("%")
                result.unicodeScalars.append(Unicode.Scalar(digits[Int(byte >> 4)]))
                result.unicodeScalars.append(Unicode.Scalar(digits[Int(byte & 0x0F)]))
            }
        }
        return result
    }

    // MARK: Hashing

    static func hexSHA256(_ data: Data) -> String {
        hex(SHA256.hash(data: data))
    }

    static func hexSHA256(_ bytes: UnsafeRawBufferPointer) -> String {
        hex(SHA256.hash(data: bytes))
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var result = [UInt8]()
        for byte in bytes {
            result.append(digits[Int(byte >> 4)])
            result.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: result, as: UTF8.self)
    }
}
