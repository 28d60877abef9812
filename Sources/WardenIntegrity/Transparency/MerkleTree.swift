import Crypto

/// RFC 6962 / RFC 9162 Merkle tree hashing: roots, inclusion proofs and
/// consistency proofs over a list of leaf hashes.
///
/// Leaves and interior nodes are hashed with different one-byte prefixes
/// (0x00 and 0x01), so a leaf can never be passed off as a node. Generation
/// works on the full list of leaf hashes (the log has them); verification in
/// `MerkleTree+Verification.swift` needs only hashes from the proof.
///
/// ```swift
/// let leaves = entries.map { MerkleTree.leafHash($0) }
/// let root = MerkleTree.root(of: leaves)
/// let proof = try MerkleTree.inclusionProof(index: 3, leafHashes: leaves)
/// try MerkleTree.verifyInclusion(leafHash: leaves[3], index: 3, treeSize: leaves.count, proof: proof, root: root)
/// ```
public enum MerkleTree {
    /// The length of every hash in the tree: SHA-256.
    public static let hashSize = 32

    /// The root of the empty tree: SHA-256 of the empty string.
    public static let emptyRoot: [UInt8] = Array(SHA256.hash(data: [UInt8]()))

    /// SHA-256(0x00 ‖ entry): the hash of one log entry.
    public static func leafHash(_ entry: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: [0x00])
        hasher.update(data: entry)
        return Array(hasher.finalize())
    }

    /// SHA-256(0x01 ‖ left ‖ right): the hash of an interior node.
    public static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: [0x01])
        hasher.update(data: left)
        hasher.update(data: right)
        return Array(hasher.finalize())
    }

    /// MTH(D[n]): the root of the tree whose leaves hash to `leafHashes`, in order.
    ///
    /// The empty tree's root is `emptyRoot`; one leaf is its own root; larger
    /// trees split at the largest power of two smaller than their size.
    public static func root(of leafHashes: [[UInt8]]) -> [UInt8] {
        leafHashes.isEmpty ? emptyRoot : subtreeRoot(leafHashes[...])
    }

    /// PATH(m, D[n]) (RFC 9162 §2.1.3.1): the sibling hashes from leaf `index` up to the root, leaf end first.
    /// - Throws: `WardenError(.invalidArgument)` when `index` is not a leaf of the tree.
    public static func inclusionProof(index: Int, leafHashes: [[UInt8]]) throws -> [[UInt8]] {
        guard index >= 0, index < leafHashes.count else {
            throw WardenError(
                .invalidArgument,
                "no inclusion proof for leaf \(index): the tree has \(leafHashes.count) leaves (indices 0..<\(leafHashes.count))"
            )
        }
        var proof: [[UInt8]] = []
        path(index, leafHashes[...], into: &proof)
        return proof
    }

    /// PROOF(m, D[n]) (RFC 9162 §2.1.4.1): the hashes that show the tree of the first `old`
    /// leaves is a prefix of the tree of all `leafHashes`.
    ///
    /// The proof is empty when `old` is 0 (the empty tree is a prefix of every
    /// tree) or equals the tree size (the roots themselves must match).
    /// - Throws: `WardenError(.invalidArgument)` when `old` is larger than the tree.
    public static func consistencyProof(old: Int, leafHashes: [[UInt8]]) throws -> [[UInt8]] {
        guard old >= 0, old <= leafHashes.count else {
            throw WardenError(
                .invalidArgument,
                "no consistency proof from size \(old): the tree has only \(leafHashes.count) leaves; the old size must be between 0 and the tree size"
            )
        }
        var proof: [[UInt8]] = []
        if old > 0, old < leafHashes.count {
            subproof(old, leafHashes[...], known: true, into: &proof)
        }
        return proof
    }

    // MARK: - Recursive definitions, on slices so no leaf list is copied.

    /// The largest power of two strictly smaller than `n` (n > 1).
    static func splitPoint(_ n: Int) -> Int {
        1 << (Int.bitWidth - 1 - (n - 1).leadingZeroBitCount)
    }

    /// MTH of a non-empty slice.
    static func subtreeRoot(_ leaves: ArraySlice<[UInt8]>) -> [UInt8] {
        if leaves.count == 1 { return leaves[leaves.startIndex] }
        let middle = leaves.startIndex + splitPoint(leaves.count)
        return nodeHash(subtreeRoot(leaves[..<middle]), subtreeRoot(leaves[middle...]))
    }

    private static func path(_ m: Int, _ leaves: ArraySlice<[UInt8]>, into proof: inout [[UInt8]]) {
        guard leaves.count > 1 else { return }
        let k = splitPoint(leaves.count)
        let middle = leaves.startIndex + k
        if m < k {
            path(m, leaves[..<middle], into: &proof)
            proof.append(subtreeRoot(leaves[middle...]))
        } else {
            path(m - k, leaves[middle...], into: &proof)
            proof.append(subtreeRoot(leaves[..<middle]))
        }
    }

    private static func subproof(_ m: Int, _ leaves: ArraySlice<[UInt8]>, known: Bool, into proof: inout [[UInt8]]) {
        if m == leaves.count {
            if !known { proof.append(subtreeRoot(leaves)) }
            return
        }
        let k = splitPoint(leaves.count)
        let middle = leaves.startIndex + k
        if m <= k {
            subproof(m, leaves[..<middle], known: known, into: &proof)
            proof.append(subtreeRoot(leaves[middle...]))
        } else {
            subproof(m - k, leaves[middle...], known: false, into: &proof)
            proof.append(subtreeRoot(leaves[..<middle]))
        }
    }
}
