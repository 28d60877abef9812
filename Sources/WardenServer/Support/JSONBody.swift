import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import WardenAPI
import WardenCore

/// JSON in and out: responses from the API's wire types (WardenAPI) or, where no type is
/// defined yet (the inference protocol, rollouts), plain dictionaries; request bodies read
/// through `JSONField` so a wrong type names its field.
enum JSONBody {
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        let data: Data
        do {
            data = try APIJSON.encode(value)
        } catch {
            // A wire type that cannot encode is a bug here, not the client's: say so as JSON.
            return response(ErrorBody(.init(code: "internal", message: "internal error: cannot encode the answer: \(error)")), status: .internalServerError)
        }
        return response(json: data, status: status, headers: headers)
    }

    static func response(_ object: [String: Any], status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return response(json: data, status: status, headers: headers)
    }

    static func response(_ array: [[String: Any]], status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: array, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("[]".utf8)
        return response(json: data, status: status, headers: [:])
    }

    private static func response(json data: Data, status: HTTPResponse.Status, headers: HTTPFields) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Reads the whole body (bounded by the context's upload limit) as a JSON object.
    /// - Throws: 413 over the limit, 400 for a body that ended early or is not a JSON object.
    static func read<Context: RequestContext>(_ request: Request, context: Context) async throws -> JSONField {
        let buffer = try await request.readWholeBody(limit: context.maxUploadSize) { "the request body is larger than \($0) bytes" }
        let root = try JSONField.parse(Array(buffer.readableBytesView), what: "the request body", code: .invalidArgument)
        _ = try root.object()
        return root
    }
}

extension Date {
    /// RFC 3339 UTC with milliseconds, as every date in the API.
    var iso8601: String { RFC3339.string(from: self) }
}
