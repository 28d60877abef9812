/// The order OMS lists resources in, which the root digest depends on.
///
/// Paths compare component by component (so `a/b` sorts before `a-b/c`, as
/// Python's `PurePosixPath` does), each component by its UTF-8 bytes (code
/// point order, as Python compares `str`); shards of one path by start, then end.
public enum ResourceOrder {
    /// Whether path `lhs` sorts before path `rhs`.
    public static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        let left = lhs.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        let right = rhs.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        for (a, b) in zip(left, right) where !a.elementsEqual(b) {
            return a.lexicographicallyPrecedes(b)
        }
        return left.count < right.count
    }

    /// Whether resource `lhs` sorts before `rhs`.
    public static func precedes(_ lhs: Manifest.Resource, _ rhs: Manifest.Resource) -> Bool {
        if lhs.path != rhs.path { return precedes(lhs.path, rhs.path) }
        let l = lhs.shard ?? 0..<0
        let r = rhs.shard ?? 0..<0
        return (l.lowerBound, l.upperBound) < (r.lowerBound, r.upperBound)
    }
}
