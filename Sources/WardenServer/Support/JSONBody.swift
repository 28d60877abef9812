import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import WardenCore

/// JSON in and out with JSONSerialization: responses from plain dictionaries,
/// request bodies read through `JSONField` so a wrong type names its field.
enum JSONBody {
    static func response(_ object: Any, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Reads the whole body (bounded by the context's upload limit) as a JSON object.
    static func read<Context: RequestContext>(_ request: Request, context: Context) async throws -> JSONField {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: context.maxUploadSize)
        } catch {
            throw WardenError(.payloadTooLarge, "the request body is larger than \(context.maxUploadSize) bytes")
        }
        let root = try JSONField.parse(Array(buffer.readableBytesView), what: "the request body", code: .invalidArgument)
        _ = try root.object()
        return root
    }
}

extension Date {
    /// RFC 3339 with fractional seconds, UTC.
    var iso8601: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: self)
    }
}
