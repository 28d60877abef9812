import Foundation
import WardenCore
import WardenTensor

/// MaxPool and AveragePool on inputs with three or more spatial axes
/// ([N, C, D, H, W]), by direct loops over the window.
///
/// `ConvolutionKernels` pools 1-D and 2-D inputs; this group wraps the
/// kernels it registered and takes over only when the input has rank 5 or
/// more, so it must be registered after it.
enum VolumetricKernels {
    static func register(_ table: inout [String: Kernel]) {
        for op in ["MaxPool", "AveragePool"] {
            let planar = table[op]
            table[op] = { context, inputs in
                let rank = inputs.first??.shape.count ?? 0
                if rank < 5, let planar { return try planar(context, inputs) }
                return [try pool(context, inputs, average: op == "AveragePool")]
            }
        }
    }

    typealias Geometry = ConvolutionKernels.Geometry

    /// For every output position and window tap: the input offset within a
    /// plane, -1 when the tap lies in the padding, or -2 when it lies beyond
    /// the padding (only ceil_mode windows reach there).
    static func taps(_ g: Geometry, input: [Int], _ context: NodeContext) throws -> (offsets: [Int], taps: Int) {
        let rank = input.count
        guard let outPositions = Shape.count(g.output), let taps = Shape.count(g.kernel), let table = Shape.count([outPositions, taps]), table <= 1 << 26 else {
            throw context.fail("the window \(g.kernel) over the output \(g.output) is too large")
        }
        let inStrides = Shape.strides(input)
        let kernelCoordinates = (0..<taps).map { ConvTransposeKernels.coordinates($0, g.kernel) }
        var offsets = [Int](repeating: -1, count: outPositions * taps)
        for position in 0..<outPositions {
            let coordinate = ConvTransposeKernels.coordinates(position, g.output)
            for tap in 0..<taps {
                var offset = 0, outside = 0
                for axis in 0..<rank {
                    let i = coordinate[axis] * g.strides[axis] - g.padsBegin[axis] + kernelCoordinates[tap][axis] * g.dilations[axis]
                    if i >= 0, i < input[axis] {
                        offset += i * inStrides[axis]
                    } else if i >= -g.padsBegin[axis], i < input[axis] + g.padsEnd[axis] {
                        outside = max(outside, 1)
                    } else {
                        outside = 2
                        break
                    }
                }
                offsets[position * taps + tap] = outside == 0 ? offset : -outside
            }
        }
        return (offsets, taps)
    }

    static func pool(_ context: NodeContext, _ inputs: [Tensor?], average: Bool) throws -> Tensor {
        let x = try context.input(inputs, 0)
        guard x.shape.count >= 3 else { throw context.fail("input must be [N, C, D1, …], got \(x.shapeDescription)") }
        let size = Array(x.shape[2...])
        guard let kernel = context.ints("kernel_shape") else { throw context.fail("needs kernel_shape with \(size.count) values") }
        let g = try ConvolutionKernels.geometry(context, input: size, kernel: kernel, ceilMode: context.int("ceil_mode", 0) != 0)
        let includePad = context.int("count_include_pad", 0) != 0
        let (offsets, taps) = try Self.taps(g, input: size, context)
        let planes = x.shape[0] * x.shape[1], inPlane = size.reduce(1, *), outPositions = g.output.reduce(1, *)
        guard let total = Shape.count([planes, outPositions]), total <= 1 << 28 else { throw context.fail("the output is too large") }
        let xs = x.floats
        var out = [Float](repeating: 0, count: total)
        for plane in 0..<planes {
            for position in 0..<outPositions {
                var best = -Float.infinity, sum: Float = 0, count = 0, padded = 0
                for tap in 0..<taps {
                    let offset = offsets[position * taps + tap]
                    if offset >= 0 {
                        let value = xs[plane * inPlane + offset]
                        best = max(best, value)
                        sum += value
                        count += 1
                    } else if offset == -1 {
                        padded += 1
                    }
                }
                out[plane * outPositions + position] = average ? sum / Float(max(1, includePad ? count + padded : count)) : best
            }
        }
        return Tensor(shape: [x.shape[0], x.shape[1]] + g.output, floats: out)
    }
}
