import WardenCore

extension MerkleTree {
    /// Checks an inclusion proof (RFC 9162 §2.1.3.2): that the leaf hashing to `leafHash`
    /// is leaf `index` of the tree of `treeSize` leaves whose root is `root`.
    ///
    /// ```swift
    /// let checkpoint = try Checkpoint.verified(signedNote, by: logVerifier)
    /// try MerkleTree.verifyInclusion(
    ///     leafHash: MerkleTree.leafHash(entry), index: 41,
    ///     treeSize: checkpoint.size, proof: proof, root: checkpoint.rootHash)
    /// ```
    /// - Throws: `WardenError(.digestMismatch)` naming what failed: the index is
    ///   outside the tree, a hash is not 32 bytes, the proof is too long or too
    ///   short for this index and size, or the hashes do not lead to `root`.
    public static func verifyInclusion(
        leafHash: [UInt8],
        index: Int,
        treeSize: Int,
        proof: [[UInt8]],
        root: [UInt8]
    ) throws {
        let subject = "inclusion proof for leaf \(index) in a tree of size \(treeSize)"
        guard index >= 0, index < treeSize else {
            throw WardenError(.digestMismatch, "\(subject) is invalid: the index is not between 0 and the tree size")
        }
        try checkHashSizes(subject: subject, ["leaf hash": leafHash, "root": root], proof: proof)

        // Both are non-negative here; the bit walk is clearer unsigned.
        var fn = UInt64(index)
        var sn = UInt64(treeSize - 1)
        var r = leafHash
        for p in proof {
            guard sn != 0 else {
                throw WardenError(.digestMismatch, "\(subject) does not verify: it has \(proof.count) hashes, more than such a proof has")
            }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else {
            throw WardenError(.digestMismatch, "\(subject) does not verify: it has \(proof.count) hashes, fewer than such a proof has")
        }
        guard r == root else {
            throw WardenError(
                .digestMismatch,
                "\(subject) does not verify: the proof leads to root \(Hex.encode(r)), not \(Hex.encode(root)); the entry is not in that tree, or the proof or root is wrong"
            )
        }
    }

    /// Checks a consistency proof (RFC 9162 §2.1.4.2): that the tree of `oldSize`
    /// leaves with root `oldRoot` is a prefix of the tree of `newSize` leaves with
    /// root `newRoot`, so the log only appended in between.
    ///
    /// Equal sizes need an empty proof and equal roots; an old size of 0 needs an
    /// empty proof and `oldRoot` equal to `MerkleTree.emptyRoot`.
    /// - Throws: `WardenError(.digestMismatch)` naming what failed: the old size is
    ///   larger, a hash is not 32 bytes, the proof has the wrong length, or the
    ///   hashes do not reproduce both roots (the log rewrote history, or the proof is wrong).
    public static func verifyConsistency(
        oldSize: Int,
        newSize: Int,
        oldRoot: [UInt8],
        newRoot: [UInt8],
        proof: [[UInt8]]
    ) throws {
        let subject = "consistency proof from size \(oldSize) to size \(newSize)"
        guard oldSize >= 0 else {
            throw WardenError(.digestMismatch, "\(subject) is invalid: a tree size cannot be negative")
        }
        guard oldSize <= newSize else {
            throw WardenError(.digestMismatch, "\(subject) is invalid: the old size is larger than the new one; a log never shrinks")
        }
        try checkHashSizes(subject: subject, ["old root": oldRoot, "new root": newRoot], proof: proof)

        if oldSize == newSize {
            guard proof.isEmpty else {
                throw WardenError(.digestMismatch, "\(subject) does not verify: equal sizes need an empty proof, but it has \(proof.count) hashes")
            }
            guard oldRoot == newRoot else {
                throw WardenError(
                    .digestMismatch,
                    "\(subject) does not verify: the two roots of the same size differ (\(Hex.encode(oldRoot)) and \(Hex.encode(newRoot))); the log forked"
                )
            }
            return
        }
        if oldSize == 0 {
            guard proof.isEmpty else {
                throw WardenError(.digestMismatch, "\(subject) does not verify: an empty old tree needs an empty proof, but it has \(proof.count) hashes")
            }
            guard oldRoot == emptyRoot else {
                throw WardenError(.digestMismatch, "\(subject) does not verify: the old root \(Hex.encode(oldRoot)) is not the root of the empty tree")
            }
            return
        }
        guard !proof.isEmpty else {
            throw WardenError(.digestMismatch, "\(subject) does not verify: the proof is empty, but growing a non-empty tree needs at least one hash")
        }

        var path = proof
        if oldSize & (oldSize - 1) == 0 {
            // The old tree is a perfect subtree of the new one, so its root starts the path.
            path.insert(oldRoot, at: 0)
        }
        var fn = UInt64(oldSize - 1)
        var sn = UInt64(newSize - 1)
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0]
        var sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else {
                throw WardenError(.digestMismatch, "\(subject) does not verify: it has \(proof.count) hashes, more than such a proof has")
            }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else {
            throw WardenError(.digestMismatch, "\(subject) does not verify: it has \(proof.count) hashes, fewer than such a proof has")
        }
        guard fr == oldRoot else {
            throw WardenError(
                .digestMismatch,
                "\(subject) does not verify: the proof does not lead to the old root \(Hex.encode(oldRoot)); the log rewrote history, or the proof or old root is wrong"
            )
        }
        guard sr == newRoot else {
            throw WardenError(
                .digestMismatch,
                "\(subject) does not verify: the proof does not lead to the new root \(Hex.encode(newRoot)); the log rewrote history, or the proof or new root is wrong"
            )
        }
    }

    private static func checkHashSizes(subject: String, _ named: KeyValuePairs<String, [UInt8]>, proof: [[UInt8]]) throws {
        for (name, hash) in named where hash.count != hashSize {
            throw WardenError(.digestMismatch, "\(subject) is invalid: the \(name) is \(hash.count) bytes; a SHA-256 hash is \(hashSize)")
        }
        for (position, hash) in proof.enumerated() where hash.count != hashSize {
            throw WardenError(.digestMismatch, "\(subject) is invalid: proof hash \(position) is \(hash.count) bytes; a SHA-256 hash is \(hashSize)")
        }
    }
}
