import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import WardenCore

/// S3's answers turned into `WardenError`s a person can act on: which
/// operation on which bucket and endpoint failed, and what to do.
extension S3Client {
    /// The error S3 reported (its XML `<Error><Code>…<Message>…`), or what the status says when
    /// there is no body (HEAD answers never have one).
    func failure(_ response: Response, action: String, key: String) -> WardenError {
        let error = response.xml.flatMap { $0.name == "Error" ? $0 : nil }
        let code = error?.value("Code") ?? Self.code(for: response.status)
        let message = error?.value("Message").map { ": \($0)" } ?? ""
        return describe(code: code, message: message, status: response.status, action: action, key: key)
    }

    /// The `WardenError` for an S3 error code: a missing bucket and refused credentials
    /// get their own advice, everything else names the code and the status.
    func describe(code: String, message: String, status: HTTPResponseStatus, action: String, key: String) -> WardenError {
        let endpoint = configuration.endpoint
        switch code {
        case "NoSuchBucket":
            return WardenError(.notFound, "bucket '\(bucket)' does not exist at \(endpoint); create it or fix --blobs")
        case "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "ExpiredToken", "InvalidToken", "TokenRefreshRequired":
            return WardenError(
                .ioFailure,
                "S3 at \(endpoint) refused to \(action) \(target(key)) (\(code)\(message)); "
                    + "check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) and the bucket's permissions"
            )
        case "NoSuchUpload":
            return WardenError(.ioFailure, "S3 at \(endpoint) no longer has the multipart upload of '\(key)' (aborted or expired); send the blob again")
        case "EntityTooSmall":
            return WardenError(.ioFailure, "S3 at \(endpoint) refused a multipart part of '\(key)' as too small (\(code)\(message)); parts must be at least 5 MiB")
        default:
            return WardenError(
                .ioFailure,
                "S3 at \(endpoint) failed to \(action) \(target(key)): \(code)\(message) (HTTP \(status.code)); check the server's logs and try again"
            )
        }
    }

    /// The request never got an answer: the server is down, the endpoint wrong, or the link cut.
    func transportFailure(_ error: any Error, action: String, key: String) -> WardenError {
        if let error = error as? WardenError { return error }
        return WardenError(
            .ioFailure,
            "cannot reach S3 at \(configuration.endpoint) to \(action) \(target(key)): \(Self.describe(error)); "
                + "check AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_S3) and that the server is running",
            cause: error
        )
    }

    private func target(_ key: String) -> String {
        key.isEmpty ? "bucket '\(bucket)'" : "'\(key)' in bucket '\(bucket)'"
    }

    /// The code S3 would have put in a body, for answers without one.
    private static func code(for status: HTTPResponseStatus) -> String {
        switch status {
        case .forbidden: "AccessDenied"
        case .notFound: "NoSuchBucket"
        case .movedPermanently, .temporaryRedirect: "WrongRegionOrEndpoint"
        default: "HTTP\(status.code)"
        }
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            if error == .connectTimeout { return "the connection timed out" }
            if error == .deadlineExceeded { return "no answer within \(deadline)" }
            if error == .remoteConnectionClosed { return "the server closed the connection" }
        }
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        return text
    }
}
