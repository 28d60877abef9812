import WardenAPI
import Hummingbird
import NIOCore
import WardenCore
import WardenRegistry

/// `/api/v1/blobs/:digest`: HEAD tells whether a blob is present, PUT streams
/// one in (hashed on the fly; bytes that do not hash to the name are never
/// stored), GET streams one out with `Range` support.
struct BlobsController {
    let registry: Registry

    func addRoutes(to group: RouterGroup<WardenRequestContext>) {
        group.on(.headBlob, use: head)
        group.on(.getBlob, use: get)
        group.on(.putBlob, use: put)
    }

    private func digest(_ context: WardenRequestContext) throws -> Digest {
        let digest = try Digest(parsing: try context.pathParameter("digest"))
        guard digest.algorithm == .sha256 else {
            throw WardenError(.invalidDigest, "blobs are named by SHA-256 (sha256:<64 hex>), not \(digest.algorithm.rawValue)")
        }
        return digest
    }

    @Sendable func head(_ request: Request, context: WardenRequestContext) async throws -> Response {
        try context.require(.reader)
        let digest = try digest(context)
        guard try await registry.blobSize(of: digest) != nil else { return Response(status: .notFound) }
        return try await BlobResponse.make(registry, digest, request: request, includeBody: false)
    }

    @Sendable func get(_ request: Request, context: WardenRequestContext) async throws -> Response {
        try context.require(.reader)
        let digest = try digest(context)
        guard try await registry.blobSize(of: digest) != nil else {
            throw WardenError(.notFound, "blob \(digest) is not stored here")
        }
        return try await BlobResponse.make(registry, digest, request: request)
    }

    @Sendable func put(_ request: Request, context: WardenRequestContext) async throws -> Response {
        try context.require(.publisher)
        let digest = try digest(context)
        // Without either header the request has no body at all (RFC 9112 §6.3): most likely a
        // client that forgot the file. An empty blob is sent with Content-Length: 0.
        guard request.headers[.contentLength] != nil || request.headers[.transferEncoding] != nil else {
            throw WardenError(.lengthRequired, "the upload has no Content-Length (or chunked Transfer-Encoding): send the blob's bytes, with Content-Length: 0 for an empty one")
        }
        let limit = registry.configuration.maximumBlobSize
        func tooLarge(_ limit: Int64) -> String {
            let size = request.headers[.contentLength].map { "\($0) bytes" } ?? "larger"
            return "the blob is \(size), over this server's limit of \(limit) bytes; raise it with warden serve --max-blob-size"
        }
        // A declared length over the limit (even one too large to be a number) is refused before a byte is read.
        let declared = try request.declaredLength(limit: limit)
        if let declared, declared > limit { throw WardenError(.payloadTooLarge, tooLarge(limit)) }
        if let size = try await registry.blobSize(of: digest) {
            // Already stored: answer at once, without reading the body. A declared length other
            // than the stored one cannot hash to this digest (an empty body sent by mistake, say).
            if let declared, declared != size {
                throw WardenError(.digestMismatch, "\(digest) is stored with \(size) bytes, so a body of \(declared) bytes cannot hash to it; nothing was stored. Send the blob's own bytes")
            }
            return JSONBody.response(BlobUploadResult(digest: digest.description, size: size, created: false))
        }
        let upload = try await registry.beginBlobUpload(maximumSize: limit)
        do {
            // A body that ends early is a 400 and the partial upload is dropped below.
            try await request.readBody(limit: limit, tooLarge: tooLarge) { buffer in
                try await upload.append(buffer)
            }
            let stored = try await upload.commit(expected: digest)
            return JSONBody.response(BlobUploadResult(digest: stored.description, size: upload.count, created: true), status: .created)
        } catch {
            await upload.abort()
            throw error
        }
    }
}
