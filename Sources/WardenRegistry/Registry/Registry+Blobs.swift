import Foundation
import WardenCore

/// Blobs, for the API's upload and download routes. A blob is visible only once its
/// bytes hashed to its name (`BlobUpload.commit`).
extension Registry {
    /// The blob's size, or nil when it is absent.
    public func blobSize(of digest: Digest) async throws -> Int64? {
        try await blobs.size(of: digest)
    }

    /// Starts an upload, refused once it passes the registry's maximum blob size.
    public func beginBlobUpload(maximumSize: Int64?) async throws -> any BlobUpload {
        try await blobs.beginUpload(maximumSize: maximumSize)
    }

    /// - Throws: `.notFound` when the blob is absent.
    public func openBlob(_ digest: Digest) async throws -> any BlobReader {
        try await blobs.open(digest)
    }
}
