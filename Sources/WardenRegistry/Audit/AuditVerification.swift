import Foundation
import WardenCore
import WardenIntegrity

/// Recomputes the audit log's Merkle tree from every stored entry and checks it
/// against the checkpoints the log key signed, naming the first entry that does
/// not fit. It trusts nothing in the database but the entries' positions, and
/// needs only the log's public key.
///
/// An edited entry fails the checkpoint signed right after it; a deleted, inserted
/// or reordered row breaks the positions or the sequence order; deleting the newest
/// entries shows against the audit state, or against a checkpoint kept from before.
public struct AuditVerification: Sendable {
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        /// The entry's position, when one entry is to blame.
        public let index: Int?
        public let message: String
        public var description: String { message }
    }

    /// Entries that verified, in order, before the first problem.
    public private(set) var verified = 0
    /// The root of the verified prefix.
    public private(set) var root: [UInt8] = MerkleTree.root(of: [])
    /// The last signed checkpoint that verified.
    public private(set) var latestCheckpoint: String?
    public private(set) var problems: [Problem] = []
    /// Leaf hashes of the verified prefix, for proofs.
    public private(set) var leafHashes: [[UInt8]] = []

    public var isValid: Bool { problems.isEmpty }

    /// - Parameters:
    ///   - eventSequences: the registry's event sequences, each of which must have an entry.
    ///   - stateSize: the tree size the audit state records.
    ///   - earlier: a checkpoint (signed note) seen before, which the log must still contain.
    public init(entries: [AuditEntry], verifier: NoteVerifier, eventSequences: [Int64] = [], stateSize: Int? = nil, earlier: String? = nil) {
        var range = CompactRange()
        var roots: [[UInt8]] = [root]
        var previousSequence: Int64 = 0
        for entry in entries {
            let position = verified
            guard entry.index == position else {
                problems.append(Problem(index: position, message: entry.index > position
                    ? "entry #\(position) is missing: the stored entries jump from #\(position - 1) to #\(entry.index) (a row was deleted)"
                    : "entry #\(entry.index) is stored twice or out of place"))
                break
            }
            guard entry.sequence > previousSequence else {
                problems.append(Problem(index: position, message: "entry #\(position) records event \(entry.sequence) after event \(previousSequence): entries were reordered"))
                break
            }
            let recorded = (try? JSONSerialization.jsonObject(with: Data(entry.entry.utf8)) as? [String: Any])?["sequence"] as? Int
            let leaf = MerkleTree.leafHash(Array(entry.entry.utf8))
            try? range.append(leafHash: leaf)
            let expected = range.root
            do {
                let checkpoint = try Checkpoint.verified(entry.checkpoint, by: verifier)
                guard checkpoint.size == range.size, checkpoint.rootHash == expected else {
                    let what = recorded.map { Int64($0) } == entry.sequence ? "was edited, or an entry was inserted before it" : "was edited (it no longer records event \(entry.sequence))"
                    problems.append(Problem(index: position, message: "entry #\(position) (event \(entry.sequence)) \(what): the tree no longer matches the checkpoint signed after it"))
                    break
                }
                latestCheckpoint = entry.checkpoint
            } catch let error as WardenError {
                problems.append(Problem(index: position, message: "the checkpoint stored with entry #\(position) (event \(entry.sequence)) does not verify with the log key: \(error.message)"))
                break
            } catch {
                problems.append(Problem(index: position, message: "the checkpoint stored with entry #\(position) cannot be read: \(error)"))
                break
            }
            leafHashes.append(leaf)
            roots.append(expected)
            root = expected
            verified += 1
            previousSequence = entry.sequence
        }
        guard problems.isEmpty else { return }
        if let stateSize, stateSize != entries.count {
            problems.append(Problem(index: min(stateSize, entries.count), message: "the audit state records \(stateSize) entries but \(entries.count) are stored: \(stateSize > entries.count ? "the newest entries were deleted" : "entries were added outside the log")"))
        }
        let audited = Set(entries.map(\.sequence))
        if let missing = eventSequences.first(where: { !audited.contains($0) }) {
            problems.append(Problem(index: nil, message: "event \(missing) has no audit entry: it was added to the events table outside the log"))
        }
        if let earlier {
            do {
                let checkpoint = try Checkpoint.verified(earlier, by: verifier)
                if checkpoint.size > verified {
                    problems.append(Problem(index: verified, message: "the given checkpoint has \(checkpoint.size) entries but the log has \(verified): entries after #\(verified - 1) were deleted"))
                } else if roots[checkpoint.size] != checkpoint.rootHash {
                    problems.append(Problem(index: nil, message: "the log's first \(checkpoint.size) entries no longer hash to the given checkpoint's root: history was rewritten"))
                }
            } catch let error as WardenError {
                problems.append(Problem(index: nil, message: "the given checkpoint does not verify with the log key: \(error.message)"))
            } catch {
                problems.append(Problem(index: nil, message: "the given checkpoint cannot be read: \(error)"))
            }
        }
    }
}
