import Crypto
import Foundation
import Testing
@testable import WardenIntegrity

/// The transparency log library: RFC 6962 / 9162 Merkle trees and proofs, the
/// compact range, and the C2SP signed-note and checkpoint formats.
@Suite struct TransparencyTests {
    // MARK: - Fixtures

    /// The Certificate Transparency reference leaves (RFC 6962 test data in the CT code bases).
    static let referenceEntries: [[UInt8]] = [
        [], [0x00], [0x10], [0x20, 0x21], [0x30, 0x31], [0x40, 0x41, 0x42, 0x43],
        [0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57], Array(0x60...0x6f),
    ]
    static var referenceLeaves: [[UInt8]] { referenceEntries.map(MerkleTree.leafHash) }

    /// Roots of the first n reference leaves, n = 0...8 (recomputed independently with Python's hashlib).
    static let referenceRoots = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]

    /// 101 distinct leaves and the root of every prefix, computed once.
    static let leaves: [[UInt8]] = (0...100).map { MerkleTree.leafHash(Array("entry \($0)".utf8)) }
    static let roots: [[UInt8]] = (0...101).map { MerkleTree.root(of: Array(leaves[..<$0])) }

    static func bytes(_ hex: String) -> [UInt8] { Hex.decode(hex) ?? [] }

    /// Whether to run every tampering check for this (size, index) pair: all of them for small
    /// trees and sizes around powers of two, a sample elsewhere, so the suite stays fast in debug builds.
    static func tampers(size: Int, at index: Int) -> Bool {
        size <= 33 || [63, 64, 65, 99, 100].contains(size) || index % 5 == 0 || index == size - 1
    }

    static func flipped(_ proof: [[UInt8]], element: Int, byte: Int = 0) -> [[UInt8]] {
        var copy = proof
        copy[element][byte] ^= 0x01
        return copy
    }

    // MARK: - Merkle tree hashing

    @Test func referenceRootsMatchTheKnownValues() {
        let leaves = Self.referenceLeaves
        for size in 0...8 {
            #expect(Hex.encode(MerkleTree.root(of: Array(leaves[..<size]))) == Self.referenceRoots[size], "size \(size)")
        }
        #expect(Hex.encode(MerkleTree.root(of: leaves)) == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
        #expect(MerkleTree.emptyRoot == Array(SHA256.hash(data: [UInt8]())))
        #expect(MerkleTree.leafHash([]) == Array(SHA256.hash(data: [0x00])))
    }

    @Test func referenceProofsMatchTheKnownValues() throws {
        let leaves = Self.referenceLeaves
        let path0 = [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ]
        let path5 = [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ]
        #expect(try MerkleTree.inclusionProof(index: 0, leafHashes: leaves).map(Hex.encode) == path0)
        #expect(try MerkleTree.inclusionProof(index: 5, leafHashes: leaves).map(Hex.encode) == path5)
        #expect(try MerkleTree.consistencyProof(old: 1, leafHashes: leaves).map(Hex.encode) == path0)
        #expect(
            try MerkleTree.consistencyProof(old: 6, leafHashes: leaves).map(Hex.encode) == [
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ])
        #expect(
            try MerkleTree.consistencyProof(old: 2, leafHashes: Array(leaves[..<5])).map(Hex.encode) == [
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ])
        try MerkleTree.verifyInclusion(
            leafHash: leaves[5], index: 5, treeSize: 8, proof: path5.map(Self.bytes), root: Self.bytes(Self.referenceRoots[8]))
    }

    // MARK: - Inclusion proofs

    /// Every index of every tree of 1 to 100 leaves verifies; each proof (sampled for sizes above 33) then fails when tampered with.
    @Test func inclusionProofsVerifyForEveryIndexAndSize() throws {
        var checked = 0
        for size in 1...100 {
            let leaves = Array(Self.leaves[..<size])
            let root = Self.roots[size]
            let treeSize = size
            for index in 0..<size {
                let proof = try MerkleTree.inclusionProof(index: index, leafHashes: leaves)
                try MerkleTree.verifyInclusion(leafHash: leaves[index], index: index, treeSize: treeSize, proof: proof, root: root)
                checked += 1
                guard Self.tampers(size: size, at: index) else { continue }

                func rejects(_ what: String, leaf: [UInt8]? = nil, index i: Int? = nil, size s: Int? = nil, proof p: [[UInt8]]? = nil, root r: [UInt8]? = nil) {
                    #expect(throws: WardenError.self, "\(what): leaf \(index) of \(size)") {
                        try MerkleTree.verifyInclusion(
                            leafHash: leaf ?? leaves[index], index: i ?? index, treeSize: s ?? treeSize,
                            proof: p ?? proof, root: r ?? root)
                    }
                }
                for element in proof.indices {
                    rejects("flipped proof byte", proof: Self.flipped(proof, element: element, byte: element % 32))
                }
                rejects("flipped leaf byte", leaf: Self.flipped([leaves[index]], element: 0)[0])
                rejects("flipped root byte", root: Self.flipped([root], element: 0, byte: 31)[0])
                if index + 1 < size { rejects("next index", index: index + 1) }
                if index > 0 { rejects("previous index", index: index - 1) }
                rejects("index = size", index: treeSize)
                // Proofs do not hash the tree size in: a neighbouring size verifies when it gives the
                // walk the same shape, which is why a checkpoint signs the size and root together.
                // Checked against that size's own root, or with a proof length it does not take, it fails.
                for wrongSize in [size - 1, size + 1] where wrongSize > index {
                    rejects("size \(wrongSize) with its root", size: wrongSize, root: Self.roots[wrongSize])
                    let wrongLength = try MerkleTree.inclusionProof(index: index, leafHashes: Array(Self.leaves[..<wrongSize])).count
                    if wrongLength != proof.count { rejects("size \(wrongSize), another proof length", size: wrongSize) }
                }
                rejects("extended proof", proof: proof + [root])
                if !proof.isEmpty { rejects("truncated proof", proof: Array(proof.dropLast())) }
                rejects("other tree's root", root: Self.roots[size == 1 ? 2 : size - 1])
            }
        }
        #expect(checked == 5050)
    }

    @Test func inclusionErrorsSayWhatFailed() throws {
        let leaves = Array(Self.leaves[..<5])
        let proof = try MerkleTree.inclusionProof(index: 2, leafHashes: leaves)
        let root = Self.roots[5]
        expectWardenError(.digestMismatch, containing: "the index is not between 0 and the tree size") {
            try MerkleTree.verifyInclusion(leafHash: leaves[2], index: 5, treeSize: 5, proof: proof, root: root)
        }
        expectWardenError(.digestMismatch, containing: "the index is not between 0 and the tree size") {
            try MerkleTree.verifyInclusion(leafHash: leaves[0], index: 0, treeSize: 0, proof: [], root: MerkleTree.emptyRoot)
        }
        expectWardenError(.digestMismatch, containing: "the index is not between 0 and the tree size") {
            try MerkleTree.verifyInclusion(leafHash: leaves[2], index: -1, treeSize: 5, proof: proof, root: root)
        }
        expectWardenError(.invalidArgument, containing: "no inclusion proof for leaf -1") {
            _ = try MerkleTree.inclusionProof(index: -1, leafHashes: leaves)
        }
        expectWardenError(.digestMismatch, containing: "more than such a proof has") {
            try MerkleTree.verifyInclusion(leafHash: leaves[2], index: 2, treeSize: 5, proof: proof + [root], root: root)
        }
        expectWardenError(.digestMismatch, containing: "fewer than such a proof has") {
            try MerkleTree.verifyInclusion(leafHash: leaves[2], index: 2, treeSize: 5, proof: Array(proof.dropLast()), root: root)
        }
        expectWardenError(.digestMismatch, containing: ["inclusion proof for leaf 2 in a tree of size 5", "not \(Hex.encode(Self.roots[4]))"]) {
            try MerkleTree.verifyInclusion(leafHash: leaves[2], index: 2, treeSize: 5, proof: proof, root: Self.roots[4])
        }
        expectWardenError(.digestMismatch, containing: "proof hash 1 is 31 bytes") {
            try MerkleTree.verifyInclusion(leafHash: leaves[2], index: 2, treeSize: 5, proof: [proof[0], Array(proof[1].dropLast()), proof[2]], root: root)
        }
        expectWardenError(.invalidArgument, containing: "the tree has 5 leaves") {
            _ = try MerkleTree.inclusionProof(index: 5, leafHashes: leaves)
        }
    }

    // MARK: - Consistency proofs

    /// Every old size 0...n for every tree of 1 to 100 leaves verifies; each proof (sampled for sizes above 33) then fails when tampered with.
    @Test func consistencyProofsVerifyForEveryPairOfSizes() throws {
        var checked = 0
        for size in 1...100 {
            let leaves = Array(Self.leaves[..<size])
            let newSize = size
            let newRoot = Self.roots[size]
            for old in 0...size {
                let proof = try MerkleTree.consistencyProof(old: old, leafHashes: leaves)
                let oldSize = old
                let oldRoot = Self.roots[old]
                try MerkleTree.verifyConsistency(oldSize: oldSize, newSize: newSize, oldRoot: oldRoot, newRoot: newRoot, proof: proof)
                checked += 1
                guard Self.tampers(size: size, at: old) else { continue }

                func rejects(_ what: String, oldSize o: Int? = nil, newSize n: Int? = nil, oldRoot or: [UInt8]? = nil, newRoot nr: [UInt8]? = nil, proof p: [[UInt8]]? = nil) {
                    #expect(throws: WardenError.self, "\(what): \(old) to \(size)") {
                        try MerkleTree.verifyConsistency(
                            oldSize: o ?? oldSize, newSize: n ?? newSize, oldRoot: or ?? oldRoot, newRoot: nr ?? newRoot, proof: p ?? proof)
                    }
                }
                for element in proof.indices {
                    rejects("flipped proof byte", proof: Self.flipped(proof, element: element, byte: (element * 7) % 32))
                }
                rejects("flipped old root", oldRoot: Self.flipped([oldRoot], element: 0)[0])
                // The empty tree is a prefix of every tree, so from size 0 the new root is not checked.
                if old > 0 { rejects("flipped new root", newRoot: Self.flipped([newRoot], element: 0, byte: 17)[0]) }
                if old != size { rejects("swapped roots", oldRoot: newRoot, newRoot: oldRoot) }
                rejects("extended proof", proof: proof + [newRoot])
                if !proof.isEmpty { rejects("truncated proof", proof: Array(proof.dropLast())) }
                if old < size { rejects("old size + 1", oldSize: oldSize + 1) }
                if old > 1 { rejects("old size - 1", oldSize: oldSize - 1) }
                if old > 0 {
                    // As with inclusion, a neighbouring new size is caught by its root or the proof length.
                    for wrongSize in [size - 1, size + 1] where wrongSize > old {
                        rejects("new size \(wrongSize) with its root", newSize: wrongSize, newRoot: Self.roots[wrongSize])
                        let wrongLength = try MerkleTree.consistencyProof(old: old, leafHashes: Array(Self.leaves[..<wrongSize])).count
                        if wrongLength != proof.count { rejects("new size \(wrongSize), another proof length", newSize: wrongSize) }
                    }
                }
            }
        }
        #expect(checked == (1...100).reduce(0) { $0 + $1 + 1 })
    }

    @Test func consistencyEdgeCases() throws {
        let root5 = Self.roots[5]
        // Equal sizes: an empty proof and equal roots.
        try MerkleTree.verifyConsistency(oldSize: 5, newSize: 5, oldRoot: root5, newRoot: root5, proof: [])
        expectWardenError(.digestMismatch, containing: "equal sizes need an empty proof") {
            try MerkleTree.verifyConsistency(oldSize: 5, newSize: 5, oldRoot: root5, newRoot: root5, proof: [root5])
        }
        expectWardenError(.digestMismatch, containing: "the log forked") {
            try MerkleTree.verifyConsistency(oldSize: 5, newSize: 5, oldRoot: root5, newRoot: Self.roots[4], proof: [])
        }
        // Old size 0: the empty tree is a prefix of everything, with an empty proof.
        try MerkleTree.verifyConsistency(oldSize: 0, newSize: 5, oldRoot: MerkleTree.emptyRoot, newRoot: root5, proof: [])
        try MerkleTree.verifyConsistency(oldSize: 0, newSize: 0, oldRoot: MerkleTree.emptyRoot, newRoot: MerkleTree.emptyRoot, proof: [])
        expectWardenError(.digestMismatch, containing: "an empty old tree needs an empty proof") {
            try MerkleTree.verifyConsistency(oldSize: 0, newSize: 5, oldRoot: MerkleTree.emptyRoot, newRoot: root5, proof: [root5])
        }
        expectWardenError(.digestMismatch, containing: "is not the root of the empty tree") {
            try MerkleTree.verifyConsistency(oldSize: 0, newSize: 5, oldRoot: root5, newRoot: root5, proof: [])
        }
        // A shrinking log, a negative size, and an empty proof where one is needed.
        expectWardenError(.digestMismatch, containing: "a tree size cannot be negative") {
            try MerkleTree.verifyConsistency(oldSize: -1, newSize: 5, oldRoot: MerkleTree.emptyRoot, newRoot: root5, proof: [])
        }
        expectWardenError(.digestMismatch, containing: "a log never shrinks") {
            try MerkleTree.verifyConsistency(oldSize: 6, newSize: 5, oldRoot: Self.roots[6], newRoot: root5, proof: [])
        }
        expectWardenError(.digestMismatch, containing: "the proof is empty") {
            try MerkleTree.verifyConsistency(oldSize: 3, newSize: 5, oldRoot: Self.roots[3], newRoot: root5, proof: [])
        }
        let proof = try MerkleTree.consistencyProof(old: 3, leafHashes: Array(Self.leaves[..<5]))
        expectWardenError(.digestMismatch, containing: "the log rewrote history") {
            try MerkleTree.verifyConsistency(oldSize: 3, newSize: 5, oldRoot: Self.roots[3], newRoot: Self.roots[4], proof: proof)
        }
        expectWardenError(.digestMismatch, containing: "the new root is 31 bytes") {
            try MerkleTree.verifyConsistency(oldSize: 3, newSize: 5, oldRoot: Self.roots[3], newRoot: Array(root5.dropLast()), proof: proof)
        }
        expectWardenError(.invalidArgument, containing: "the tree has only 5 leaves") {
            _ = try MerkleTree.consistencyProof(old: 6, leafHashes: Array(Self.leaves[..<5]))
        }
        #expect(try MerkleTree.consistencyProof(old: 0, leafHashes: Array(Self.leaves[..<5])).isEmpty)
        #expect(try MerkleTree.consistencyProof(old: 5, leafHashes: Array(Self.leaves[..<5])).isEmpty)
    }

    // MARK: - Compact range

    @Test func compactRangeRootMatchesTheTreeRootForSizes0To300() throws {
        let leaves = (0..<300).map { MerkleTree.leafHash(Array("leaf-\($0)".utf8)) }
        var range = CompactRange()
        #expect(range.root == MerkleTree.emptyRoot)
        for size in 0...300 {
            #expect(range.size == size)
            #expect(range.hashes.count == size.nonzeroBitCount)
            #expect(range.root == MerkleTree.root(of: Array(leaves[..<size])), "size \(size)")
            // The persisted forms restore an identical range.
            #expect(try CompactRange(serialized: range.serialized) == range)
            #expect(try CompactRange(hex: range.hex) == range)
            #expect(try CompactRange(size: range.size, hashes: range.hashes) == range)
            if size < 300 {
                // Continue from the restored copy, as a log reloading its row would.
                range = try CompactRange(hex: range.hex)
                try range.append(leafHash: leaves[size])
            }
        }
        #expect(try CompactRange(leafHashes: leaves) == range)
        var byEntry = CompactRange()
        byEntry.append(entry: Array("leaf-0".utf8))
        #expect(byEntry.root == leaves[0])
    }

    @Test func compactRangeRejectsCorruptState() throws {
        let three = try CompactRange(leafHashes: Array(Self.leaves[..<3]))
        expectWardenError(.invalidArgument, containing: "needs 2 hashes (one per set bit of the size), but 1 were given") {
            _ = try CompactRange(size: 3, hashes: [three.hashes[0]])
        }
        expectWardenError(.invalidArgument, containing: "compact range hash 1 is 31 bytes") {
            _ = try CompactRange(size: 3, hashes: [three.hashes[0], Array(three.hashes[1].dropLast())])
        }
        expectWardenError(.invalidArgument, containing: "is 72 bytes, but 71 were given") {
            _ = try CompactRange(serialized: Array(three.serialized.dropLast()))
        }
        expectWardenError(.invalidArgument, containing: "cannot be negative") {
            _ = try CompactRange(size: -1, hashes: [])
        }
        expectWardenError(.invalidArgument, containing: "more than a log can hold") {
            _ = try CompactRange(serialized: [UInt8](repeating: 0xff, count: 8) + [UInt8](repeating: 0, count: 64 * 32))
        }
        expectWardenError(.invalidArgument, containing: "8-byte size") {
            _ = try CompactRange(serialized: [0, 0, 0])
        }
        expectWardenError(.invalidArgument, containing: "hexadecimal") {
            _ = try CompactRange(hex: "zz")
        }
        var range = CompactRange()
        expectWardenError(.invalidArgument, containing: "a leaf hash is 32 bytes, but 3 were given") {
            try range.append(leafHash: [1, 2, 3])
        }
        #expect(three.serialized.prefix(8) == [0, 0, 0, 0, 0, 0, 0, 3])
    }

    // MARK: - Signed notes: the golang.org/x/mod/sumdb/note test vectors

    static let peterVerifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    static let enochVerifierKey = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
    /// The seed of Go's PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALV... (the bytes after the 0x01 type byte).
    static let peterSeed = "810a1402d5146c8d84f2443330f54080ebf98ee17d9c74f6252fc5d5c7283173"
    static let goText = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
    static let peterSignature = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    static let enochSignature = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"

    @Test func goNoteVectorsVerify() throws {
        let peter = try NoteVerifier(verifierKey: Self.peterVerifierKey)
        let enoch = try NoteVerifier(verifierKey: Self.enochVerifierKey)
        #expect(peter.keyName == "PeterNeumann")
        #expect(peter.keyID == 0xc74f20a3)
        #expect(peter.verifierKey == Self.peterVerifierKey)
        #expect(enoch.verifierKey == Self.enochVerifierKey)

        let signer = try NoteSigner(keyName: "PeterNeumann", privateKey: .init(rawRepresentation: Self.bytes(Self.peterSeed)))
        #expect(signer.verifier == peter)
        let expected = Self.goText + "\n" + Self.peterSignature
        let signed = try signer.sign(Self.goText)
        #if os(Linux)
        // BoringSSL's Ed25519 is deterministic (RFC 8032), so the output is byte-for-byte Go's.
        // (CryptoKit on Apple platforms randomizes Ed25519 signatures.)
        #expect(signed.serialized == expected)
        #endif
        try signed.verify(with: peter)

        let note = try SignedNote.parse(expected)
        #expect(note.text == Self.goText)
        #expect(note.signatures.count == 1)
        #expect(note.signatures[0].keyID == 0xc74f20a3)
        #expect(note.serialized == expected)
        try note.verify(with: peter)

        // Two signatures: each key verifies its own and ignores the other's.
        let both = try SignedNote.parse(Self.goText + "\n" + Self.peterSignature + Self.enochSignature)
        try both.verify(with: peter)
        try both.verify(with: enoch)
        #expect(try both.verify(with: [peter, enoch]) == [peter, enoch])
        expectWardenError(.untrustedSignature, containing: ["no signature by a trusted key", "PeterNeumann+c74f20a3"]) {
            try SignedNote.parse(Self.goText + "\n" + Self.enochSignature).verify(with: peter)
        }

        // A key named like Peter's but with another key id is ignored, not failed.
        let impostor = try NoteSigner(keyName: "PeterNeumann", privateKey: .init())
        let withImpostor = try impostor.sign(note)
        #expect(withImpostor.signatures.count == 2)
        try withImpostor.verify(with: peter)

        // A signature by Peter's key that does not verify rejects the note.
        var corrupt = Array((Self.goText + "\n" + Self.peterSignature).utf8)
        corrupt.insert(contentsOf: Array("ABCD".utf8), at: Self.goText.utf8.count + 1 + 60)
        expectWardenError(.untrustedSignature, containing: "signature by PeterNeumann+c74f20a3 does not verify") {
            try SignedNote.parse(corrupt).verify(with: peter)
        }
    }

    @Test func goMalformedNotesAreRejected() {
        let text = Self.goText
        let sig = Self.peterSignature
        let bad: [(String, [UInt8])] = [
            ("no signatures", Array(text.utf8)),
            ("blank line, no signatures", Array((text + "\n").utf8)),
            ("no final newline", Array((text + "\n" + sig.dropLast()).utf8)),
            ("control character", [0x01] + Array((text + "\n" + sig).utf8)),
            ("bad UTF-8", [0xff] + Array((text + "\n" + sig).utf8)),
            ("space in key name", Array((text + "\n" + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n").utf8)),
            ("unexpected line", Array((text + "\n" + sig + "Unexpected line.\n").utf8)),
            ("101 signatures", Array((text + "\n" + String(repeating: sig, count: 101)).utf8)),
            ("non-canonical base64", Array((text + "\n" + sig.replacingOccurrences(of: "AM=", with: "AN=")).utf8)),
            ("short signature", Array((text + "\n" + "— PeterNeumann AAAAAA==\n").utf8)),
            ("plus in key name", Array((text + "\n" + sig.replacingOccurrences(of: "PeterNeumann", with: "Peter+Neumann")).utf8)),
            ("CRLF line ends", Array((text + "\n" + sig.replacingOccurrences(of: "\n", with: "\r\n")).utf8)),
        ]
        for (what, note) in bad {
            #expect(throws: WardenError.self, "\(what)") { _ = try SignedNote.parse(note) }
        }
        expectWardenError(.malformedSignature, containing: "not valid UTF-8") { _ = try SignedNote.parse(bad[4].1) }
        expectWardenError(.malformedSignature, containing: "control character U+0001") { _ = try SignedNote.parse(bad[3].1) }
        expectWardenError(.malformedSignature, containing: "does not end in a newline") { _ = try SignedNote.parse(bad[2].1) }
        expectWardenError(.malformedSignature, containing: "101 signature lines; at most 100") { _ = try SignedNote.parse(bad[7].1) }
        expectWardenError(.malformedSignature, containing: "no blank line") { _ = try SignedNote.parse(bad[0].1) }
        expectWardenError(.malformedSignature, containing: "signature line 2 does not start with an em dash") { _ = try SignedNote.parse(bad[6].1) }
        // 100 signatures are fine.
        #expect((try? SignedNote.parse(text + "\n" + String(repeating: sig, count: 100)))?.signatures.count == 100)
    }

    /// Every proper substring and every one-byte change of a verifier key is rejected (as Go's tests check).
    @Test func mangledVerifierKeysAreRejected() throws {
        let key = Array(Self.peterVerifierKey.utf8)
        var accepted: [String] = []
        for start in 0..<key.count {
            for end in (start + 1)...key.count where !(start == 0 && end == key.count) {
                let text = String(decoding: key[start..<end], as: UTF8.self)
                if (try? NoteVerifier(verifierKey: text)) != nil { accepted.append(text) }
            }
        }
        for position in key.indices {
            var changed = key
            changed[position] &+= 1
            let text = String(decoding: changed, as: UTF8.self)
            if (try? NoteVerifier(verifierKey: text)) != nil { accepted.append(text) }
        }
        #expect(accepted.isEmpty)
        expectWardenError(.invalidKey, containing: "states key id c74f20a4, but its name and key give c74f20a3") {
            _ = try NoteVerifier(verifierKey: "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
        }
        expectWardenError(.invalidKey, containing: "does not end in an Ed25519 key") {
            _ = try NoteVerifier(verifierKey: "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
        }
        // Base64 may hold '+', the field separator: the first seed whose key encodes with one still round-trips.
        let plusKey = try (UInt8(0)...UInt8(255)).lazy
            .map { try NoteSigner(keyName: "log.example", privateKey: .init(rawRepresentation: [UInt8](repeating: $0, count: 32))).verifier }
            .first { $0.verifierKey.split(separator: "+").count > 3 }
        let withPlus = try #require(plusKey)
        #expect(try NoteVerifier(verifierKey: withPlus.verifierKey) == withPlus)
        expectWardenError(.invalidKey, containing: "expected <name>+<8 hex digits>+<base64 key>") {
            _ = try NoteVerifier(verifierKey: "PeterNeumann")
        }
    }

    // MARK: - Signed notes: round trips and rejections

    @Test func signedNoteRoundTripAndTampering() throws {
        let signer = try NoteSigner(keyName: "warden.example/log", privateKey: .init())
        let verifier = try NoteVerifier(verifierKey: signer.verifier.verifierKey)
        #expect(verifier == signer.verifier)
        #expect(verifier.verifierKey.hasPrefix("warden.example/log+"))

        // Text with an inner blank line and non-ASCII characters.
        let text = "Ognuno sta solo sul cuor della terra\n\ned è subito sera.\n"
        let wire = try signer.sign(text).serialized
        let note = try SignedNote.parse(wire)
        #expect(note.text == text)
        try note.verify(with: verifier)

        // A tampered body fails.
        let tampered = wire.replacingOccurrences(of: "sera", with: "Sera")
        expectWardenError(.untrustedSignature, containing: "does not verify: the text was altered") {
            try SignedNote.parse(tampered).verify(with: verifier)
        }
        // A signature by another key under the same name fails (its key id differs, so it is ignored).
        let other = try NoteSigner(keyName: "warden.example/log", privateKey: .init())
        expectWardenError(.untrustedSignature, containing: "no signature by a trusted key") {
            try SignedNote.parse(try other.sign(text).serialized).verify(with: verifier)
        }
        // The other key's signature forged onto our key id fails verification outright.
        let forged = try other.sign(text).signatures[0]
        let relabelled = SignedNote(text: text, signatures: [.init(keyName: forged.keyName, keyID: verifier.keyID, signature: forged.signature)])
        expectWardenError(.untrustedSignature, containing: "does not verify") {
            try SignedNote.parse(relabelled.serialized).verify(with: verifier)
        }
        // Cosigning adds a line; re-signing replaces ours rather than duplicating it.
        let witness = try NoteSigner(keyName: "witness.example/w1", privateKey: .init())
        let cosigned = try witness.sign(try signer.sign(note))
        #expect(cosigned.signatures.map(\.keyName) == ["warden.example/log", "witness.example/w1"])
        #expect(try cosigned.verify(with: [verifier, witness.verifier]).count == 2)

        expectWardenError(.invalidArgument, containing: "must end in a newline") { _ = try signer.sign("no newline") }
        expectWardenError(.invalidArgument, containing: "control character") { _ = try signer.sign("tab\there\n") }
        expectWardenError(.invalidKey, containing: "holds a space") { _ = try NoteSigner(keyName: "bad name", privateKey: .init()) }
        expectWardenError(.invalidKey, containing: "must not be empty") { _ = try NoteSigner(keyName: "", privateKey: .init()) }
    }

    @Test func wardenEd25519KeysSignNotes() throws {
        let key = SigningKey.generate(.ed25519)
        let signer = try NoteSigner(keyName: "warden.example/log", signingKey: key)
        let verifier = try NoteVerifier(keyName: "warden.example/log", verifyingKey: key.publicKey)
        try signer.sign("hello\n").verify(with: verifier)
        expectWardenError(.unsupportedKey, containing: "signed notes use Ed25519 keys") {
            _ = try NoteSigner(keyName: "x", signingKey: .generate(.ecdsaP256))
        }
    }

    // MARK: - Checkpoints

    @Test func checkpointRoundTrip() throws {
        let range = try CompactRange(leafHashes: Self.referenceLeaves)
        let checkpoint = try Checkpoint(origin: "warden.example/log", size: range.size, rootHash: range.root)
        #expect(checkpoint.body == "warden.example/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n")
        #expect(try Checkpoint.parse(noteBody: checkpoint.body) == checkpoint)

        let withExtensions = try Checkpoint(origin: "o", size: 0, rootHash: MerkleTree.emptyRoot, extensions: ["ext one", "ext two"])
        #expect(try Checkpoint.parse(noteBody: withExtensions.body) == withExtensions)

        // The example in c2sp.org/tlog-checkpoint parses.
        let example = try Checkpoint.parse(noteBody: "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")
        #expect(example.size == 20_852_163)
        #expect(example.rootHash.count == 32)

        let signer = try NoteSigner(keyName: "warden.example/log", privateKey: .init())
        let note = try signer.sign(checkpoint.body).serialized
        #expect(try Checkpoint.verified(note, by: signer.verifier) == checkpoint)

        let otherLog = try NoteSigner(keyName: "other.example/log", privateKey: signer.privateKey)
        expectWardenError(.untrustedSignature, containing: "is for log 'warden.example/log'") {
            _ = try Checkpoint.verified(try otherLog.sign(checkpoint.body).serialized, by: otherLog.verifier)
        }
        expectWardenError(.untrustedSignature, containing: "does not verify") {
            _ = try Checkpoint.verified(note.replacingOccurrences(of: "\n8\n", with: "\n9\n"), by: signer.verifier)
        }
    }

    @Test func malformedCheckpointsAreRejected() {
        let root = "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg="
        let cases: [(String, String)] = [
            ("o\n8\n\(root)", "does not end in a newline"),
            ("o\n8\n", "has 2 lines"),
            ("\n8\n\(root)\n", "origin (line 1) is empty"),
            ("o\n08\n\(root)\n", "tree size (line 2) '08'"),
            ("o\n+8\n\(root)\n", "tree size (line 2) '+8'"),
            ("o\n-1\n\(root)\n", "tree size (line 2) '-1'"),
            ("o\n9223372036854775808\n\(root)\n", "is not a decimal number"),
            ("o\n8\nXcnaeacGWamtVZy3Ad7Z\n", "root hash (line 3)"),
            ("o\n8\n\(root.dropLast())\n", "root hash (line 3)"),
            ("o\n8\n\(root)\n\n", "extension line 4 is empty"),
            ("o\n8\n\(root)\next\u{7}\n", "control character U+7"),
        ]
        for (body, message) in cases {
            expectWardenError(.malformedSignature, containing: message) { _ = try Checkpoint.parse(noteBody: body) }
        }
        #expect((try? Checkpoint.parse(noteBody: "o\n0\n\(Data(MerkleTree.emptyRoot).base64EncodedString())\n"))?.size == 0)
        expectWardenError(.invalidArgument, containing: "root hash is 32 bytes") {
            _ = try Checkpoint(origin: "o", size: 1, rootHash: [1])
        }
        expectWardenError(.invalidArgument, containing: "cannot be negative") {
            _ = try Checkpoint(origin: "o", size: -1, rootHash: MerkleTree.emptyRoot)
        }
        expectWardenError(.invalidArgument, containing: "origin must be one non-empty line") {
            _ = try Checkpoint(origin: "", size: 1, rootHash: MerkleTree.emptyRoot)
        }
    }
}
