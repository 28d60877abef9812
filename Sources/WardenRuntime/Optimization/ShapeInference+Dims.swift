import Foundation
import WardenCore
import WardenTensor

/// Arithmetic on dims that may be known sizes, symbols or unknown.
extension ShapeInference {
    /// Whether two dims that must be equal are both known and differ.
    static func conflict(_ a: Dim, _ b: Dim) -> Bool {
        if case .fixed(let x) = a, case .fixed(let y) = b { return x != y }
        return false
    }

    /// Two dims that must be equal, as one: a known size wins over a symbol, a symbol over unknown.
    static func unify(_ a: Dim, _ b: Dim) -> Dim {
        switch (a, b) {
        case (.fixed, _): return a
        case (_, .fixed): return b
        case (.symbolic, _): return a
        default: return b
        }
    }

    /// An axis in `0..<rank`, counting negative ones from the end; nil when out of range.
    static func normalized(_ axis: Int, rank: Int) -> Int? {
        let value = axis < 0 ? axis + rank : axis
        return (0..<rank).contains(value) ? value : nil
    }

    /// The sizes of dims that are all known; nil when one is not.
    static func sizes(_ dims: [Dim]) -> [Int]? {
        var result: [Int] = []
        for dim in dims {
            guard case .fixed(let size) = dim else { return nil }
            result.append(Int(clamping: size))
        }
        return result
    }

    /// The product of some dims: known when all are, the dim itself for one symbol, else unknown.
    static func product(_ dims: ArraySlice<Dim>) -> Dim {
        var total: Int64 = 1
        for dim in dims {
            guard case .fixed(let size) = dim else { return dims.count == 1 ? dim : .unknown }
            total = total.multipliedReportingOverflow(by: size).partialValue
        }
        return .fixed(total)
    }

    /// Multidirectional (NumPy) broadcasting.
    static func broadcast(_ a: [Dim], _ b: [Dim]) throws -> [Dim] {
        let rank = max(a.count, b.count)
        let left = Array(repeating: Dim.fixed(1), count: rank - a.count) + a
        let right = Array(repeating: Dim.fixed(1), count: rank - b.count) + b
        return try zip(left, right).map { (x, y) -> Dim in
            switch (x, y) {
            case (.fixed(let p), .fixed(let q)):
                guard p == q || p == 1 || q == 1 else { throw Mismatch(why: "cannot broadcast \(describe(a)) with \(describe(b))") }
                return .fixed(p == 1 ? q : p)
            case (.fixed(1), _): return y
            case (_, .fixed(1)): return x
            case (.fixed, _): return x
            case (_, .fixed): return y
            case (.symbolic(let p), .symbolic(let q)) where p == q: return x
            default: return .unknown
            }
        }
    }
}

extension TensorDimension {
    /// A known size below zero: a -1 wildcard or an invalid size, never a real dim.
    var isNegative: Bool {
        if case .fixed(let size) = self { return size < 0 }
        return false
    }
}
