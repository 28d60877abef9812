import HTTPTypes
import Hummingbird
import NIOCore
import WardenCore
import WardenRegistry

/// Streams a blob, whole or one `Range` of it, in 1 MiB reads: memory stays
/// flat whatever the size.
enum BlobResponse {
    static let chunkSize = 1 << 20

    static func make(_ registry: Registry, _ digest: Digest, request: Request, includeBody: Bool = true) async throws -> Response {
        let reader = try await registry.openBlob(digest)
        let size = reader.size
        var headers = HTTPFields()
        headers[.contentType] = "application/octet-stream"
        headers[.acceptRanges] = "bytes"
        headers[.eTag] = "\"\(digest.hex)\""
        if let name = HTTPField.Name("Docker-Content-Digest") { headers[name] = digest.description }

        var requested: Range<Int64> = 0..<size
        var status = HTTPResponse.Status.ok
        if let header = request.headers[.range] {
            let parsed: Range<Int64>?
            do { parsed = try parseRange(header, size: size) } catch {
                reader.close()
                throw error
            }
            guard let parsed else {
                reader.close()
                var fields = HTTPFields()
                fields[.acceptRanges] = "bytes"
                fields[.contentRange] = "bytes */\(size)"
                let message = "the range '\(header)' is outside this \(size)-byte blob (or ends before it starts); ask for bytes within 0-\(max(size - 1, 0))"
                return ErrorResponse.response(for: WardenError(.rangeNotSatisfiable, message), headers: fields)
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
            while offset < range.upperBound {
                let wanted = Int(min(Int64(chunkSize), range.upperBound - offset))
                let buffer = try await reader.read(at: offset, upTo: wanted)
                let got = buffer.readableBytes
                guard got > 0 else { throw WardenError(.ioFailure, "blob \(digest) ended early at byte \(offset)") }
                offset += Int64(got)
                try await writer.write(buffer)
            }
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// One range of RFC 9110 `bytes=` form: `FIRST-LAST`, `FIRST-` or `-SUFFIX`.
    /// - Returns: the bytes to send, or nil when the range is well-formed but not satisfiable
    ///   (it starts past the end, ends before it starts, or asks for nothing): a 416.
    /// - Throws: `.invalidArgument` (400) for anything else, a range list or another unit
    ///   included: RFC 9110 §14.2 lets a server reject what it does not serve.
    static func parseRange(_ header: String, size: Int64) throws -> Range<Int64>? {
        let malformed = WardenError(.invalidArgument, "the Range header '\(header)' is not one byte range; send bytes=FIRST-LAST, bytes=FIRST- or bytes=-SUFFIX")
        guard header.hasPrefix("bytes=") else { throw malformed }
        let parts = header.dropFirst("bytes=".count).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw malformed }
        let (first, last) = (parts[0], parts[1])
        func isNumber(_ text: Substring) -> Bool { !text.isEmpty && text.utf8.allSatisfy { (0x30...0x39).contains($0) } }
        // A number too long for 64 bits is past the end of any blob.
        func value(_ text: Substring) -> Int64 { Int64(text) ?? .max }

        if first.isEmpty {
            guard isNumber(last) else { throw malformed }
            let suffix = value(last)
            guard suffix > 0, size > 0 else { return nil }
            return max(0, size - suffix)..<size
        }
        guard isNumber(first), last.isEmpty || isNumber(last) else { throw malformed }
        let start = value(first)
        guard start < size else { return nil }
        guard !last.isEmpty else { return start..<size }
        let end = value(last)
        guard end >= start else { return nil }
        return start..<(end >= size - 1 ? size : end + 1)
    }
}
