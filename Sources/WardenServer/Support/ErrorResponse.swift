import Foundation
import WardenAPI
import HTTPTypes
import Hummingbird
import WardenCore
import WardenModel
import WardenSandbox

extension WardenError.Code {
    // Codes only the HTTP API has.
    static let methodNotAllowed = Self(rawValue: "method_not_allowed")
    static let lengthRequired = Self(rawValue: "length_required")
    static let rangeNotSatisfiable = Self(rawValue: "range_not_satisfiable")
    static let unavailable = Self(rawValue: "unavailable")
    /// The client stopped sending before the body it announced was complete.
    static let incompleteBody = Self(rawValue: "incomplete_body")
}

/// The one place errors become HTTP: every error a client sees is
/// `{"error": {"code": "…", "message": "…"}}` with the status its code maps to.
enum ErrorResponse {
    static func status(for error: WardenError) -> HTTPResponse.Status {
        switch error.code {
        case .invalidArgument, .invalidVersion, .invalidDigest, .invalidResourceName, .digestMismatch, .wasmRejectedInput, .incompleteBody:
            .badRequest
        case .unauthenticated: .unauthorized
        case .forbidden: .forbidden
        case .notFound, .pathNotFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .conflict: .conflict
        case .lengthRequired: .lengthRequired
        case .payloadTooLarge: .contentTooLarge
        case .rangeNotSatisfiable: .rangeNotSatisfiable
        case .semverViolation, .signatureRequired, .malformedSignature, .modelModified, .untrustedSignature,
            .thresholdNotMet, .invalidModel, .invalidGraph, .externalDataRefused, .invalidCard, .cardContradictsModel,
            .emptyModel, .symlinkRefused, .symlinkEscapes, .unsupportedFileType:
            .unprocessableContent
        case .unavailable: .serviceUnavailable
        default: .internalServerError
        }
    }

    static func body(for error: WardenError) -> ErrorBody {
        var detail = ErrorBody.Detail(code: error.code.rawValue, message: error.message)
        if let violation = error.cause as? SemverRule.Violation {
            detail.semver = ErrorBody.SemverViolation(
                requiredBump: violation.required.description, allowedBump: violation.granted.description,
                baseline: violation.previous.description, suggestedVersion: violation.suggested.description, reasons: violation.reasons
            )
        }
        return ErrorBody(detail)
    }

    /// - Parameter headers: what the status needs besides the body (`Allow`, `Content-Range`).
    static func response(for error: WardenError, headers: HTTPFields = [:]) -> Response {
        JSONBody.response(body(for: error), status: status(for: error), headers: headers)
    }
}

/// Turns every thrown error into the JSON error shape; the server keeps serving.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as WardenError {
            if ErrorResponse.status(for: error) == .internalServerError {
                context.logger.error("request failed", metadata: ["code": "\(error.code)", "error": "\(error.message)"])
            } else {
                context.logger.info("request refused", metadata: ["code": "\(error.code)", "error": "\(error.message)"])
            }
            return ErrorResponse.response(for: error)
        } catch let error as HTTPError where error.status == .notFound && error.body == nil {
            // The router found no route. A path the table knows under other methods is a 405 naming them.
            let allowed = Endpoint.methods(forRequestPath: request.uri.path)
            guard !allowed.isEmpty, !allowed.contains(request.method) else {
                let message = "no such endpoint: \(request.method) \(request.uri.path); see /openapi.yaml"
                return ErrorResponse.response(for: WardenError(.notFound, message))
            }
            let names = allowed.map(\.rawValue).joined(separator: ", ")
            let message = "\(request.method) is not allowed on \(request.uri.path); it answers \(names) (see /openapi.yaml)"
            return ErrorResponse.response(for: WardenError(.methodNotAllowed, message), headers: [.allow: names])
        } catch let error as HTTPError {
            let code = error.status == .notFound ? "not_found" : error.status == .contentTooLarge ? "payload_too_large" : "http_\(error.status.code)"
            let message = error.body ?? error.status.reasonPhrase
            return JSONBody.response(ErrorBody(.init(code: code, message: message)), status: error.status, headers: error.headers)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            return JSONBody.response(ErrorBody(.init(code: "internal", message: "internal error: \(error)")), status: .internalServerError)
        }
    }
}
