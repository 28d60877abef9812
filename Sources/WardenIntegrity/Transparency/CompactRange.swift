import WardenCore

/// The Merkle frontier of a log: the roots of the perfect subtrees that make up
/// a tree of `size` leaves, largest (leftmost) first, one per set bit of `size`.
///
/// It is all a log needs to append a leaf and compute the new root in O(log n),
/// without reading any earlier leaf. Persist `serialized` (or `hex`) next to the
/// tree size and restore it with `init(serialized:)`.
///
/// ```swift
/// var range = try CompactRange(hex: row.frontier)
/// range.append(entry: Array(statement.utf8))
/// let checkpoint = try Checkpoint(origin: "warden.example/log", size: range.size, rootHash: range.root)
/// row.frontier = range.hex
/// ```
public struct CompactRange: Sendable, Hashable, CustomStringConvertible {
    /// The number of leaves covered.
    public private(set) var size: Int
    /// The perfect-subtree roots, largest first; `hashes.count == size.nonzeroBitCount`.
    public private(set) var hashes: [[UInt8]]

    /// The frontier of the empty tree.
    public init() {
        size = 0
        hashes = []
    }

    /// Restores a frontier from its parts.
    /// - Throws: `WardenError(.invalidArgument)` for a negative size, or unless there is exactly one 32-byte
    ///   hash per set bit of `size`.
    public init(size: Int, hashes: [[UInt8]]) throws {
        guard size >= 0 else {
            throw WardenError(.invalidArgument, "a compact range size cannot be negative, but \(size) was given; the stored frontier is corrupt")
        }
        guard hashes.count == size.nonzeroBitCount else {
            throw WardenError(
                .invalidArgument,
                "a compact range of size \(size) needs \(size.nonzeroBitCount) hashes (one per set bit of the size), but \(hashes.count) were given; the stored frontier is corrupt"
            )
        }
        for (position, hash) in hashes.enumerated() where hash.count != MerkleTree.hashSize {
            throw WardenError(
                .invalidArgument,
                "compact range hash \(position) is \(hash.count) bytes; a SHA-256 hash is \(MerkleTree.hashSize)"
            )
        }
        self.size = size
        self.hashes = hashes
    }

    /// The frontier of the tree whose leaves hash to `leafHashes` (for tests and rebuilding).
    /// - Throws: `WardenError(.invalidArgument)` when a leaf hash is not 32 bytes.
    public init(leafHashes: [[UInt8]]) throws {
        self.init()
        for leaf in leafHashes { try append(leafHash: leaf) }
    }

    /// Appends the leaf whose hash is `leafHash`, merging equal-sized subtrees.
    /// - Throws: `WardenError(.invalidArgument)` when `leafHash` is not 32 bytes, or the tree is full.
    public mutating func append(leafHash: [UInt8]) throws {
        guard leafHash.count == MerkleTree.hashSize else {
            throw WardenError(.invalidArgument, "a leaf hash is \(MerkleTree.hashSize) bytes, but \(leafHash.count) were given; hash the entry with MerkleTree.leafHash")
        }
        guard size < Int.max else {
            throw WardenError(.invalidArgument, "the log holds \(size) leaves and cannot grow further")
        }
        var carry = leafHash
        var bits = size  // non-negative
        // Each trailing 1 bit of the old size is a subtree of the same size as `carry`.
        while bits & 1 == 1, let left = hashes.popLast() {
            carry = MerkleTree.nodeHash(left, carry)
            bits >>= 1
        }
        hashes.append(carry)
        size += 1
    }

    /// Appends `entry`, hashed as a leaf.
    public mutating func append(entry: [UInt8]) {
        // A computed leaf hash has the right length, and a tree of Int.max leaves is never reached.
        try? append(leafHash: MerkleTree.leafHash(entry))
    }

    /// The root of the tree: the subtree roots folded right to left.
    public var root: [UInt8] {
        guard var result = hashes.last else { return MerkleTree.emptyRoot }
        for hash in hashes.dropLast().reversed() {
            result = MerkleTree.nodeHash(hash, result)
        }
        return result
    }

    // MARK: - Serialization

    /// 8-byte big-endian (unsigned) size, then the hashes, largest subtree first.
    public var serialized: [UInt8] {
        var bytes = withUnsafeBytes(of: UInt64(size).bigEndian) { Array($0) }
        bytes.reserveCapacity(8 + hashes.count * MerkleTree.hashSize)
        for hash in hashes { bytes += hash }
        return bytes
    }

    /// Restores a frontier written by `serialized`.
    /// - Throws: `WardenError(.invalidArgument)` when the bytes are not 8 + 32 × popcount(size) long.
    public init(serialized bytes: [UInt8]) throws {
        guard bytes.count >= 8 else {
            throw WardenError(.invalidArgument, "a serialized compact range starts with an 8-byte size, but only \(bytes.count) bytes were given")
        }
        let stated = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard let size = Int(exactly: stated) else {
            throw WardenError(.invalidArgument, "a serialized compact range states size \(stated), more than a log can hold; the stored frontier is corrupt")
        }
        let expected = 8 + size.nonzeroBitCount * MerkleTree.hashSize
        guard bytes.count == expected else {
            throw WardenError(
                .invalidArgument,
                "a serialized compact range of size \(size) is \(expected) bytes, but \(bytes.count) were given; the stored frontier is corrupt"
            )
        }
        let hashes = stride(from: 8, to: bytes.count, by: MerkleTree.hashSize).map { Array(bytes[$0..<$0 + MerkleTree.hashSize]) }
        try self.init(size: size, hashes: hashes)
    }

    /// Lower-case hex of `serialized`.
    public var hex: String { Hex.encode(serialized) }

    /// Restores a frontier from `hex`.
    /// - Throws: `WardenError(.invalidArgument)` when the text is not hex or not a valid frontier.
    public init(hex: String) throws {
        guard let bytes = Hex.decode(hex) else {
            throw WardenError(.invalidArgument, "a compact range in hex must have an even number of hexadecimal digits; the stored text is corrupt")
        }
        try self.init(serialized: bytes)
    }

    /// `size N root <hex>`.
    public var description: String { "size \(size) root \(Hex.encode(root))" }
}
