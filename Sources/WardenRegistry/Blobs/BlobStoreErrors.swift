import Foundation
import WardenCore

/// The errors every blob store gives for the same mistakes, worded once so the
/// filesystem and S3 stores cannot drift apart (the shared suite checks them).
enum BlobStoreErrors {
    static func missing(_ digest: Digest) -> WardenError {
        WardenError(.notFound, "blob \(digest) is not in the store; upload it first")
    }

    static func negativeMaximum(_ maximumSize: Int64) -> WardenError {
        WardenError(.invalidArgument, "the maximum blob size must not be negative, but is \(maximumSize)")
    }

    static func tooLarge(_ maximumSize: Int64) -> WardenError {
        WardenError(
            .payloadTooLarge,
            "the blob is larger than the limit of \(maximumSize) bytes (\(describeSize(maximumSize))); "
                + "the upload was discarded. Raise the limit with the server option --max-blob-size"
        )
    }

    static func mismatch(_ digest: Digest, expected: Digest) -> WardenError {
        WardenError(
            .digestMismatch,
            "the uploaded bytes hash to \(digest), not to \(expected) as claimed; nothing was stored. "
                + "Check that the file did not change while it was sent, and send it again"
        )
    }

    static func alreadyCommitted(_ digest: Digest) -> WardenError {
        WardenError(.invalidArgument, "this upload was already committed as \(digest); start a new upload to send more bytes")
    }

    static let aborted = WardenError(.invalidArgument, "this upload was aborted and its bytes discarded; start a new upload")

    static func negativeOffset(_ digest: Digest, _ offset: Int64) -> WardenError {
        WardenError(.invalidArgument, "cannot read blob \(digest) at offset \(offset); offsets start at 0")
    }

    static func readAfterClose(_ digest: Digest) -> WardenError {
        WardenError(.invalidArgument, "blob \(digest) was read after its reader was closed; open it again")
    }

    static func occupied(_ path: String, _ digest: Digest) -> WardenError {
        WardenError(.conflict, "'\(path)' already exists and is not blob \(digest); remove it, or materialize into an empty folder")
    }

    static func describeSize(_ bytes: Int64) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) bytes" : "\(String(format: "%.1f", value)) \(units[unit])"
    }
}
