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
    /// - Throws: 413 over the limit, 400 for a body that ended early or is not a JSON object.
    static func read<Context: RequestContext>(_ request: Request, context: Context) async throws -> JSONField {
        let buffer = try await request.readWholeBody(limit: context.maxUploadSize) { "the request body is larger than \($0) bytes" }
        let root = try JSONField.parse(Array(buffer.readableBytesView), what: "the request body", code: .invalidArgument)
        _ = try root.object()
        return root
    }
}

extension Date {
    /// RFC 3339 UTC with milliseconds (`2026-11-25T18:31:02.123Z`), formatted by hand:
    /// `ISO8601DateFormatter` costs more than the rest of a listing (measured in bench/registry.sh).
    var iso8601: String {
        let milliseconds = Int64((timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(milliseconds % 1000), 3))Z"
    }
}
