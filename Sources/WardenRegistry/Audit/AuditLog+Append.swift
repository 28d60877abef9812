import Foundation
import WardenCore
import WardenIntegrity

extension AuditLog {
    /// What a store writes for one new leaf: the row of `audit_entries` and the new audit state.
    struct Append: Sendable {
        /// The new leaf's 0-based position.
        let index: Int
        /// The tree's size after it.
        let size: Int
        /// The checkpoint signed for `size`.
        let checkpoint: String
        /// The Merkle frontier after it, as `audit_state.frontier` keeps it.
        let frontier: String
    }

    /// Appends `entry` to the tree whose frontier the store keeps (nil before the first leaf)
    /// and signs the checkpoint for the new size. The store writes the result in the
    /// transaction of the event it records, with the log serialised (one writer at a time).
    /// - Throws: `.ioFailure` when the stored frontier is damaged.
    func append(entry: String, after frontier: String?) throws -> Append {
        var range = CompactRange()
        if let frontier {
            do {
                range = try CompactRange(hex: frontier)
            } catch {
                throw WardenError(.ioFailure, "audit_state.frontier is damaged (\(error)); run warden audit verify", cause: error)
            }
        }
        let index = range.size
        try range.append(leafHash: MerkleTree.leafHash(Array(entry.utf8)))
        return Append(index: index, size: range.size, checkpoint: try checkpoint(size: range.size, root: range.root), frontier: range.hex)
    }
}
