import Foundation
import WardenTensor

/// SIMD loops over float buffers for the hot element-wise ops.
///
/// The generic kernels call a closure per element; these run 8 lanes at a
/// time with no call, and split tensors of `parallelThreshold` floats or more
/// over the threads.
enum Vectorized {
    static let parallelThreshold = 1 << 16
    /// Floats per parallel chunk: a multiple of the vector width.
    static let chunk = 1 << 14

    enum Operation: Sendable {
        case add, sub, mul, div

        init?(_ op: String) {
            switch op {
            case "Add": self = .add
            case "Sub": self = .sub
            case "Mul": self = .mul
            case "Div": self = .div
            default: return nil
            }
        }

        @inline(__always) func apply(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
            switch self {
            case .add: a + b
            case .sub: a - b
            case .mul: a * b
            case .div: a / b
            }
        }

        @inline(__always) func apply(_ a: Float, _ b: Float) -> Float {
            switch self {
            case .add: a + b
            case .sub: a - b
            case .mul: a * b
            case .div: a / b
            }
        }
    }

    /// `a op b` for float tensors of the same shape, or where `b` (or `a`) is
    /// repeated along the leading axes or is one value per channel of axis 1
    /// (a bias `[C, 1, 1]` on `[N, C, H, W]`); nil for any other broadcast.
    /// - Parameter output: makes the result's buffer of the given count (its contents are overwritten).
    static func binary(_ operation: Operation, _ a: Tensor, _ b: Tensor, threads: Int, output: (Int) -> [Float] = fresh) -> Tensor? {
        guard case .float(let left) = a.storage, case .float(let right) = b.storage else { return nil }
        guard let shape = try? Shape.broadcast(a.shape, b.shape, op: ""), shape == a.shape || shape == b.shape else { return nil }
        let count = left.count >= right.count ? left.count : right.count
        // The smaller operand repeats every `period` floats, each of its values over `run` floats.
        let (small, swapped) = left.count >= right.count ? (b.shape, false) : (a.shape, true)
        let smallCount = swapped ? left.count : right.count
        guard smallCount > 0, count % smallCount == 0 else { return nil }
        let padded = Array(repeating: 1, count: shape.count - small.count) + small
        // Drop trailing 1s: each value of the small operand covers `run` consecutive floats.
        var run = 1
        var last = shape.count
        while last > 0, padded[last - 1] == 1 { last -= 1; run *= shape[last] }
        // What is left of the small shape must match the big one on a contiguous stretch of axes, with 1s before it.
        var first = last
        while first > 0, padded[first - 1] == shape[first - 1] { first -= 1 }
        guard padded[..<first].allSatisfy({ $0 == 1 }) else { return nil }
        var out = output(count)
        left.withUnsafeBufferPointer { l in
            right.withUnsafeBufferPointer { r in
                out.withUnsafeMutableBufferPointer { o in
                    guard let lb = l.baseAddress, let rb = r.baseAddress, let ob = o.baseAddress else { return }
                    let target = SendablePointer(ob)
                    let pieces = (count + chunk - 1) / chunk
                    let workers = count >= parallelThreshold ? threads : 1
                    Parallel.forEach(pieces, threads: workers) { piece in
                        let start = piece * chunk, end = min(count, start + chunk)
                        if run == 1 && smallCount == count {
                            apply(operation, lb + start, rb + start, target.pointer + start, end - start)
                        } else if run == 1 {
                            // The small operand is a row repeated over the leading axes.
                            var position = start
                            while position < end {
                                let offset = position % smallCount
                                let length = min(end - position, smallCount - offset)
                                let l = swapped ? lb + offset : lb + position
                                let r = swapped ? rb + position : rb + offset
                                apply(operation, l, r, target.pointer + position, length)
                                position += length
                            }
                        } else {
                            // Walk runs over which the small operand is one value.
                            var position = start
                            while position < end {
                                let length = min(end - position, run - position % run)
                                let scalar = (swapped ? lb : rb)[(position / run) % smallCount]
                                let big = (swapped ? rb : lb) + position
                                applyScalar(operation, big, scalar, swapped: swapped, target.pointer + position, length)
                                position += length
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: shape, floats: out)
    }

    @inline(__always)
    static func apply(_ operation: Operation, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b), ro = UnsafeMutableRawPointer(out)
        var index = 0
        while index + 8 <= count {
            let value = operation.apply(ra.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self), rb.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self))
            ro.storeBytes(of: value, toByteOffset: index * 4, as: SIMD8<Float>.self)
            index += 8
        }
        while index < count {
            out[index] = operation.apply(a[index], b[index])
            index += 1
        }
    }

    /// `big op scalar`, or `scalar op big` when `swapped`.
    @inline(__always)
    static func applyScalar(_ operation: Operation, _ big: UnsafePointer<Float>, _ scalar: Float, swapped: Bool, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
        let rb = UnsafeRawPointer(big), ro = UnsafeMutableRawPointer(out)
        let splat = SIMD8<Float>(repeating: scalar)
        var index = 0
        while index + 8 <= count {
            let vector = rb.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
            ro.storeBytes(of: swapped ? operation.apply(splat, vector) : operation.apply(vector, splat), toByteOffset: index * 4, as: SIMD8<Float>.self)
            index += 8
        }
        while index < count {
            out[index] = swapped ? operation.apply(scalar, big[index]) : operation.apply(big[index], scalar)
            index += 1
        }
    }

    /// A new buffer of `count` floats, for callers with no memory plan.
    static func fresh(_ count: Int) -> [Float] { [Float](unsafeUninitializedCapacity: count) { $1 = count } }

    /// Relu over a float tensor (NaN stays NaN); nil for other element types.
    /// - Parameter output: makes the result's buffer of the given count (its contents are overwritten).
    static func relu(_ x: Tensor, threads: Int, output: (Int) -> [Float] = fresh) -> Tensor? {
        guard case .float(let values) = x.storage else { return nil }
        let count = values.count
        var out = output(count)
        values.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { buffer in
                guard let input = source.baseAddress, let base = buffer.baseAddress else { return }
                let target = SendablePointer(base)
                let pieces = (count + chunk - 1) / chunk
                Parallel.forEach(pieces, threads: count >= parallelThreshold ? threads : 1) { piece in
                    let start = piece * chunk
                    relu(input + start, into: target.pointer + start, count: min(count, start + chunk) - start)
                }
            }
        }
        return Tensor(shape: x.shape, floats: out)
    }

    @inline(__always)
    static func relu(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
        let input = UnsafeRawPointer(source), output = UnsafeMutableRawPointer(target)
        let zero = SIMD8<Float>()
        var index = 0
        while index + 8 <= count {
            let vector = input.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
            // max(x, 0) that keeps NaN: replace only lanes that are < 0.
            output.storeBytes(of: vector.replacing(with: zero, where: vector .< zero), toByteOffset: index * 4, as: SIMD8<Float>.self)
            index += 8
        }
        while index < count {
            target[index] = source[index] < 0 ? 0 : source[index]
            index += 1
        }
    }

    /// `values = values * scale + shift` in place.
    static func affine(_ values: UnsafeMutablePointer<Float>, count: Int, scale: Float, shift: Float) {
        let raw = UnsafeMutableRawPointer(values)
        let a = SIMD8<Float>(repeating: scale), b = SIMD8<Float>(repeating: shift)
        var index = 0
        while index + 8 <= count {
            let vector = raw.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
            raw.storeBytes(of: vector * a + b, toByteOffset: index * 4, as: SIMD8<Float>.self)
            index += 8
        }
        while index < count {
            values[index] = values[index] * scale + shift
            index += 1
        }
    }
}
