import WardenTensor

/// Shape arithmetic every kernel shares.
enum Shape {
    /// Row-major strides.
    static func strides(_ shape: [Int]) -> [Int] {
        var strides = Array(repeating: 1, count: shape.count)
        var running = 1
        for axis in shape.indices.reversed() {
            strides[axis] = running
            running *= shape[axis]
        }
        return strides
    }

    /// For each position of `shape` in row-major order, its offset in a buffer laid out with `strides`
    /// (a stride of 0 repeats a value; the strides of a permutation transpose).
    static func offsets(_ shape: [Int], strides: [Int]) -> [Int] {
        let total = shape.reduce(1, *)
        guard total > 0 else { return [] }
        var offsets = [Int](repeating: 0, count: total)
        var index = [Int](repeating: 0, count: shape.count)
        var offset = 0
        for position in 0..<total {
            offsets[position] = offset
            var axis = shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                offset += strides[axis]
                if index[axis] < shape[axis] { break }
                offset -= strides[axis] * index[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return offsets
    }

    /// The element count, or nil when it overflows or a dim is negative.
    static func count(_ shape: [Int]) -> Int? {
        var total = 1
        for dim in shape {
            guard dim >= 0 else { return nil }
            let (product, overflow) = total.multipliedReportingOverflow(by: dim)
            guard !overflow else { return nil }
            total = product
        }
        return total
    }

    /// NumPy-style broadcast of two shapes.
    static func broadcast(_ a: [Int], _ b: [Int], op: String) throws -> [Int] {
        let rank = max(a.count, b.count)
        let pa = Array(repeating: 1, count: rank - a.count) + a
        let pb = Array(repeating: 1, count: rank - b.count) + b
        let shape = try (0..<rank).map { axis in
            if pa[axis] == pb[axis] || pb[axis] == 1 { return pa[axis] }
            if pa[axis] == 1 { return pb[axis] }
            throw ExecutionError.shape(op, "cannot broadcast \(a) with \(b)")
        }
        // A shape can come from a request (Expand's target): refuse what no buffer should hold.
        guard let count = count(shape), count <= maximumElements else {
            throw ExecutionError.shape(op, "broadcasting \(a) with \(b) gives \(shape), which has a negative dim or more than \(maximumElements) elements")
        }
        return shape
    }

    /// The most elements a tensor computed at run time may have (1 GiB of float32): shapes
    /// that requests can steer (Expand, ConstantOfShape, Tile, Range, Pad) are held to it.
    static let maximumElements = 1 << 28

    /// Normalizes a possibly negative axis for a tensor of `rank`.
    static func axis(_ axis: Int, rank: Int, op: String) throws -> Int {
        let normalized = axis < 0 ? axis + rank : axis
        guard (0..<max(rank, 1)).contains(normalized) else {
            throw ExecutionError.shape(op, "axis \(axis) is out of range for rank \(rank)")
        }
        return normalized
    }
}

/// Errors raised while running a model, turned into `WardenError`s at the executor's edge.
enum ExecutionError {
    static func shape(_ op: String, _ why: String) -> WardenError {
        WardenError(.invalidArgument, "\(op): \(why)")
    }

    static func type(_ op: String, _ why: String) -> WardenError {
        WardenError(.invalidArgument, "\(op): \(why)")
    }
}
