import Foundation
import WardenCore
import WardenTensor

/// Matrix products and sliding windows: MatMul, Conv, ConvTranspose and the pools' geometry.
extension ShapeInference {
    /// MatMul with NumPy semantics: 1-D operands are promoted and the added dim dropped; batch dims broadcast.
    static func matmul(_ a: [Dim], _ b: [Dim]) throws -> [Dim]? {
        guard !a.isEmpty, !b.isEmpty else { return nil }
        let left = a.count == 1 ? [.fixed(1)] + a : a
        let right = b.count == 1 ? b + [.fixed(1)] : b
        if conflict(left[left.count - 1], right[right.count - 2]) {
            throw Mismatch(why: "inner dimensions differ, \(describe(a)) × \(describe(b))")
        }
        let batch: [Dim]
        do {
            batch = try broadcast(Array(left.dropLast(2)), Array(right.dropLast(2)))
        } catch is Mismatch {
            throw Mismatch(why: "the batch dimensions of \(describe(a)) and \(describe(b)) do not broadcast")
        }
        var result = batch
        if a.count > 1 { result.append(left[left.count - 2]) }
        if b.count > 1 { result.append(right[right.count - 1]) }
        return result
    }

    /// Conv output: [N, M, spatial…], with the spatial sizes when the input's are all known.
    static func convolution(_ context: NodeContext, x: [Dim]?, w: [Dim]?) throws -> [Dim]? {
        guard let x, x.count >= 3 else { return nil }
        guard let w, w.count == x.count else { return [x[0], .unknown] + Array(repeating: .unknown, count: x.count - 2) }
        let group = context.int("group", 1)
        if case .fixed(let channels) = x[1], case .fixed(let inChannels) = w[1], group > 0,
           case let (expected, overflow) = inChannels.multipliedReportingOverflow(by: Int64(group)), overflow || channels != expected {
            throw Mismatch(why: "the input \(describe(x)) has \(channels) channels but the weights \(describe(w)) with group \(group) expect \(overflow ? "more than \(Int64.max)" : String(expected))")
        }
        var kernel: [Int]? = context.ints("kernel_shape")
        if kernel == nil {
            kernel = w[2...].map { dim -> Int in if case .fixed(let size) = dim { return Int(size) } else { return -1 } }
        }
        let spatial = window(context, input: Array(x[2...]), kernel: kernel ?? [], ceilMode: false)
        return [x[0], w[0]] + spatial
    }

    /// ConvTranspose output: [N, M/group × group, spatial…], the spatial sizes from `output_shape` or from
    /// `ConvTransposeKernels.geometry` when the input's are all known.
    static func convTranspose(_ context: NodeContext, x: [Dim]?, w: [Dim]?) throws -> [Dim]? {
        guard let x, x.count >= 3 else { return nil }
        let rank = x.count - 2
        let unknown = Array(repeating: Dim.unknown, count: rank)
        guard let w, w.count == x.count else { return [x[0], .unknown] + unknown }
        // The weights are [C, M/group, k…]: their first dim is the input's channels, whatever the group.
        if conflict(x[1], w[0]) {
            throw Mismatch(why: "the input \(describe(x)) has \(x[1]) channels but the weights \(describe(w)) expect \(w[0]) (ConvTranspose weights are [C, M/group, k…])")
        }
        let group = context.int("group", 1)
        var channels = Dim.unknown
        if case .fixed(let perGroup) = w[1], group > 0, case let (product, overflow) = perGroup.multipliedReportingOverflow(by: Int64(group)), !overflow {
            channels = .fixed(product)
        }
        // output_shape may list the spatial axes only, or N and C too.
        if let requested = context.ints("output_shape").map({ $0.count == rank + 2 ? Array($0.suffix(rank)) : $0 }) {
            guard requested.count == rank, requested.allSatisfy({ $0 > 0 }) else { return [x[0], channels] + unknown }
            return [x[0], channels] + requested.map { .fixed(Int64($0)) }
        }
        guard let input = sizes(Array(x[2...])), let kernel = context.ints("kernel_shape") ?? sizes(Array(w[2...])),
              kernel.count == rank, kernel.allSatisfy({ $0 > 0 }),
              // Declared sizes can be anything; the geometry's arithmetic is for sizes a tensor can have.
              input.allSatisfy({ (1...(1 << 28)).contains($0) }),
              let geometry = try? ConvTransposeKernels.geometry(context, input: input, kernel: kernel) else { return [x[0], channels] + unknown }
        return [x[0], channels] + geometry.output.map { .fixed(Int64($0)) }
    }

    /// Sliding-window output sizes from `ConvolutionKernels.geometry`, when every input size and the kernel are known.
    static func window(_ context: NodeContext, input: [Dim], kernel: [Int], ceilMode: Bool) -> [Dim] {
        let unknown = Array(repeating: Dim.unknown, count: input.count)
        let sizes = input.compactMap { dim -> Int? in if case .fixed(let size) = dim { return Int(size) } else { return nil } }
        guard sizes.count == input.count, kernel.count == input.count, kernel.allSatisfy({ $0 > 0 }),
              let geometry = try? ConvolutionKernels.geometry(context, input: sizes, kernel: kernel, ceilMode: ceilMode) else { return unknown }
        return geometry.output.map { .fixed(Int64($0)) }
    }
}
