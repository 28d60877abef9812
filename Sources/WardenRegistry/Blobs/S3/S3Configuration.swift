import Foundation
import WardenCore

/// Where an S3-compatible object store is and how to sign requests to it.
///
/// Read it from the usual AWS environment variables, or give every field:
///
/// ```swift
/// let fromEnvironment = try S3Configuration.fromEnvironment()
/// let explicit = try S3Configuration(
///     endpoint: "http://127.0.0.1:9000", region: "us-east-1",
///     accessKeyID: "minio", secretAccessKey: "minio-secret"
/// )
/// ```
///
/// Path-style addressing (`http://HOST:PORT/BUCKET/KEY`) is the default: every
/// S3-compatible server supports it, and it needs no wildcard DNS. Virtual-host
/// style (`http://BUCKET.HOST/KEY`) is there for AWS when asked for.
public struct S3Configuration: Sendable, Equatable {
    /// Scheme, host and port, e.g. `http://127.0.0.1:9000`; no path.
    public let endpoint: String
    public let region: String
    public let accessKeyID: String
    public let secretAccessKey: String
    public let sessionToken: String?
    public let pathStyle: Bool

    /// - Parameters:
    ///   - endpoint: `http(s)://HOST[:PORT]`; nil means AWS itself, `https://s3.REGION.amazonaws.com`.
    ///   - pathStyle: false to put the bucket in the host name (AWS only).
    /// - Throws: `.invalidArgument` for an endpoint that is not an http(s) URL with a host, or empty keys.
    public init(
        endpoint: String? = nil,
        region: String = "us-east-1",
        accessKeyID: String,
        secretAccessKey: String,
        sessionToken: String? = nil,
        pathStyle: Bool = true
    ) throws {
        let region = region.isEmpty ? "us-east-1" : region
        let endpoint = endpoint ?? "https://s3.\(region).amazonaws.com"
        self.endpoint = try Self.checkEndpoint(endpoint)
        self.region = region
        guard !accessKeyID.isEmpty, !secretAccessKey.isEmpty else {
            throw WardenError(
                .invalidArgument,
                "S3 credentials are missing: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials)"
            )
        }
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken.flatMap { $0.isEmpty ? nil : $0 }
        self.pathStyle = pathStyle
    }

    /// Reads `AWS_ENDPOINT_URL_S3` (or `AWS_ENDPOINT_URL`), `AWS_REGION` (or
    /// `AWS_DEFAULT_REGION`, else us-east-1), `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, and `AWS_S3_ADDRESSING_STYLE`
    /// (`path`, the default, or `virtual`).
    /// - Throws: `.invalidArgument` naming the variable that is missing or malformed.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> S3Configuration {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        let style = value("AWS_S3_ADDRESSING_STYLE")?.lowercased() ?? "path"
        guard style == "path" || style == "virtual" else {
            throw WardenError(.invalidArgument, "AWS_S3_ADDRESSING_STYLE is '\(style)'; use 'path' (S3-compatible servers) or 'virtual'")
        }
        return try S3Configuration(
            endpoint: value("AWS_ENDPOINT_URL_S3") ?? value("AWS_ENDPOINT_URL"),
            region: value("AWS_REGION") ?? value("AWS_DEFAULT_REGION") ?? "us-east-1",
            accessKeyID: value("AWS_ACCESS_KEY_ID") ?? "",
            secretAccessKey: value("AWS_SECRET_ACCESS_KEY") ?? "",
            sessionToken: value("AWS_SESSION_TOKEN"),
            pathStyle: style == "path"
        )
    }

    /// The URL of `key` in `bucket` (or of the bucket itself when `key` is empty), percent-encoded
    /// as SigV4 signs it, and the host it goes to.
    func location(bucket: String, key: String) -> (url: String, host: String, path: String) {
        let (scheme, authority) = Self.split(endpoint)
        let path: String
        let host: String
        if pathStyle {
            host = authority
            path = "/" + bucket + (key.isEmpty ? "" : "/" + key)
        } else {
            host = bucket + "." + authority
            path = "/" + key
        }
        return ("\(scheme)://\(host)\(SigV4Signer.canonicalPath(path))", host, path)
    }

    var signer: SigV4Signer {
        SigV4Signer(
            credentials: .init(accessKeyID: accessKeyID, secretAccessKey: secretAccessKey, sessionToken: sessionToken),
            region: region,
            service: "s3"
        )
    }

    private static func split(_ endpoint: String) -> (scheme: String, authority: String) {
        let parts = endpoint.components(separatedBy: "://")
        return (parts[0], parts.count > 1 ? parts[1] : "")
    }

    /// Accepts `http(s)://HOST[:PORT]` with an optional trailing slash; answers it without the slash.
    private static func checkEndpoint(_ text: String) throws -> String {
        let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
        let refusal = WardenError(
            .invalidArgument,
            "the S3 endpoint '\(text)' is not http(s)://HOST[:PORT] (no path, no query); fix AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_S3"
        )
        guard let components = URLComponents(string: trimmed),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.host, !host.isEmpty,
              components.path.isEmpty, components.query == nil, components.fragment == nil,
              components.user == nil
        else { throw refusal }
        return trimmed
    }
}
