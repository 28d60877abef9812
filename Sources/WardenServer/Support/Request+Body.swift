import Hummingbird
import NIOCore
import WardenCore

/// Reading request bodies, the one way every handler does it: a declared length over the
/// limit is refused before a byte is read, a body that grows past the limit is refused as
/// it streams, and a body that ends early (the client closed its side, or the connection
/// dropped) is the client's fault, a 400 that says so, never a server error.
extension Request {
    /// The `Content-Length` the client declared, or nil when it sent none (chunked).
    ///
    /// - Parameter limit: the most this body may hold, for the message of a refused value.
    /// - Throws: `payloadTooLarge` (413) for a count too big for a 64-bit integer (a limit is
    ///   always smaller), `invalidArgument` (400) for a value that is not a count.
    func declaredLength(limit: Int64) throws -> Int64? {
        guard let text = headers[.contentLength] else { return nil }
        if let length = Int64(text), length >= 0 { return length }
        if !text.isEmpty, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
            throw WardenError(.payloadTooLarge, "Content-Length \(text) is larger than this server's limit of \(limit) bytes")
        }
        throw WardenError(.invalidArgument, "Content-Length must be a byte count, got '\(text)'")
    }

    /// Hands each piece of the body to `consume` as it arrives.
    ///
    /// - Parameters:
    ///   - limit: the most the body may hold; larger is refused before or while reading.
    ///   - tooLarge: the message of that refusal, given the limit (it names the setting to raise).
    /// - Returns: the number of bytes read.
    /// - Throws: `payloadTooLarge` (413), `incompleteBody` (400) when the body ends before its
    ///   declared length or last chunk, and whatever `consume` throws.
    @discardableResult
    func readBody(
        limit: Int64, tooLarge: (Int64) -> String, _ consume: (ByteBuffer) async throws -> Void
    ) async throws -> Int64 {
        let declared = try declaredLength(limit: limit)
        if let declared, declared > limit { throw WardenError(.payloadTooLarge, tooLarge(limit)) }
        var received: Int64 = 0
        do {
            for try await buffer in body {
                received += Int64(buffer.readableBytes)
                guard received <= limit else { throw WardenError(.payloadTooLarge, tooLarge(limit)) }
                try await consume(buffer)
            }
        } catch let error as WardenError {
            throw error
        } catch {
            // The inbound stream fails only when the connection does: the parser met the end of
            // the stream inside a body, or the socket was reset.
            throw Self.incompleteBody(received: received, declared: declared, cause: error)
        }
        // A connection closed under the body (a read timeout, say) ends the stream without an error.
        if let declared, received < declared { throw Self.incompleteBody(received: received, declared: declared, cause: nil) }
        return received
    }

    private static func incompleteBody(received: Int64, declared: Int64?, cause: (any Error)?) -> WardenError {
        let what = declared.map { "after \(received) of \($0) bytes" } ?? "after \(received) bytes, before its last chunk"
        return WardenError(
            .incompleteBody, "the request body ended \(what): the client closed the connection before sending it all; send the whole body",
            cause: cause
        )
    }

    /// The whole body in one buffer, for bodies decoded whole (JSON).
    /// - Throws: as `readBody`.
    func readWholeBody(limit: Int, tooLarge: (Int64) -> String) async throws -> ByteBuffer {
        var collected = ByteBuffer()
        try await readBody(limit: Int64(limit), tooLarge: tooLarge) { buffer in
            var buffer = buffer
            collected.writeBuffer(&buffer)
        }
        return collected
    }
}
