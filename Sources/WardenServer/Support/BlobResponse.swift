import HTTPTypes
import Hummingbird
import NIOCore
import WardenCore
import WardenRegistry

/// Streams a blob, whole or one `Range` of it, in 1 MiB reads: memory stays
/// flat whatever the size.
enum BlobResponse {
    static let chunkSize = 1 << 20

    static func make(_ blobs: any BlobStore, _ digest: Digest, request: Request, includeBody: Bool = true) throws -> Response {
        let reader = try blobs.open(digest)
        let size = reader.size
        var headers = HTTPFields()
        headers[.contentType] = "application/octet-stream"
        headers[.acceptRanges] = "bytes"
        headers[.eTag] = "\"\(digest.hex)\""
        if let name = HTTPField.Name("Docker-Content-Digest") { headers[name] = digest.description }

        var requested: Range<Int64> = 0..<size
        var status = HTTPResponse.Status.ok
        if let header = request.headers[.range] {
            guard let parsed = parseRange(header, size: size) else {
                reader.close()
                headers[.contentRange] = "bytes */\(size)"
                return Response(status: .rangeNotSatisfiable, headers: headers)
            }
            requested = parsed
            status = .partialContent
            headers[.contentRange] = "bytes \(parsed.lowerBound)-\(parsed.upperBound - 1)/\(size)"
        }
        let range = requested
        headers[.contentLength] = String(range.count)
        guard includeBody else {
            reader.close()
            return Response(status: status, headers: headers)
        }
        let body = ResponseBody(contentLength: Int(range.count)) { writer in
            defer { reader.close() }
            var offset = range.lowerBound
            var buffer = ByteBufferAllocator().buffer(capacity: chunkSize)
            while offset < range.upperBound {
                buffer.clear()
                let wanted = Int(min(Int64(chunkSize), range.upperBound - offset))
                let got = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { pointer in
                    try reader.read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: pointer[0..<wanted]))
                }
                guard got > 0 else { throw WardenError(.ioFailure, "blob \(digest) ended early at byte \(offset)") }
                offset += Int64(got)
                try await writer.write(buffer)
            }
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// One range of RFC 9110 `bytes=` form: `a-b`, `a-` or `-n`; nil when unsatisfiable or malformed.
    static func parseRange(_ header: String, size: Int64) -> Range<Int64>? {
        guard header.hasPrefix("bytes="), !header.contains(",") else { return nil }
        let spec = header.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        if parts[0].isEmpty {
            guard let suffix = Int64(parts[1]), suffix > 0, size > 0 else { return nil }
            return max(0, size - suffix)..<size
        }
        guard let start = Int64(parts[0]), start >= 0, start < size else { return nil }
        if parts[1].isEmpty { return start..<size }
        guard let end = Int64(parts[1]), end >= start else { return nil }
        return start..<min(end + 1, size)
    }
}
