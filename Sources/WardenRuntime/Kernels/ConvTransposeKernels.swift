import Foundation
import WardenCore
import WardenTensor

/// ConvTranspose for any number of spatial axes: strides, pads, dilations,
/// group, output_padding, output_shape, auto_pad and bias.
///
/// Each input element scatters `x · w` into the output window it maps to,
/// which is the adjoint of Conv's gather; no im2col buffer is needed.
enum ConvTransposeKernels {
    static func register(_ table: inout [String: Kernel]) {
        table["ConvTranspose"] = { context, inputs in [try convTranspose(context, inputs)] }
    }

    /// Where each spatial axis's output starts (the begin pad) and how long it is.
    struct Geometry: Equatable {
        var strides: [Int]
        var dilations: [Int]
        var padsBegin: [Int]
        var output: [Int]
    }

    /// The output geometry, from explicit pads, from `output_shape` or from `auto_pad`,
    /// as the ONNX spec and onnxruntime compute it.
    static func geometry(_ context: NodeContext, input: [Int], kernel: [Int]) throws -> Geometry {
        let rank = input.count
        let strides = context.ints("strides") ?? Array(repeating: 1, count: rank)
        let dilations = context.ints("dilations") ?? Array(repeating: 1, count: rank)
        let outputPadding = context.ints("output_padding") ?? Array(repeating: 0, count: rank)
        var pads = context.ints("pads") ?? Array(repeating: 0, count: 2 * rank)
        let limit = 1 << 24
        guard strides.count == rank, dilations.count == rank, outputPadding.count == rank, pads.count == 2 * rank else {
            throw context.fail("strides, dilations and output_padding need \(rank) values and pads \(2 * rank), one per spatial axis")
        }
        guard strides.allSatisfy({ (1...limit).contains($0) }), dilations.allSatisfy({ (1...limit).contains($0) }),
              outputPadding.allSatisfy({ (0...limit).contains($0) }), pads.allSatisfy({ (0...limit).contains($0) }) else {
            throw context.fail("strides and dilations must be positive, pads and output_padding non-negative (strides \(strides), dilations \(dilations), pads \(pads), output_padding \(outputPadding))")
        }
        let autoPad = context.string("auto_pad", "NOTSET")
        guard ["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"].contains(autoPad) else {
            throw context.fail("auto_pad '\(autoPad)' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID")
        }
        // output_shape may list the spatial axes only, or N and C too.
        let requested = context.ints("output_shape").map { $0.count == rank + 2 ? Array($0.suffix(rank)) : $0 }
        if let requested {
            guard requested.count == rank, requested.allSatisfy({ (1...limit).contains($0) }) else {
                throw context.fail("output_shape \(requested) must give \(rank) positive spatial sizes")
            }
        }
        var output: [Int] = []
        for axis in 0..<rank {
            // The output length with no padding at all.
            let full = strides[axis] * (input[axis] - 1) + outputPadding[axis] + (kernel[axis] - 1) * dilations[axis] + 1
            var target: Int? = requested?[axis]
            if target == nil, autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER" { target = input[axis] * strides[axis] }
            if let target {
                let total = full - target
                // A longer output than the kernel covers is allowed by less than a stride (zeros at the end).
                guard total > -strides[axis] else {
                    throw context.fail("output_shape \(target) on spatial axis \(axis) is too large: input \(input[axis]) with these strides, kernel and dilations gives at most \(full + strides[axis] - 1)")
                }
                let padding = max(0, total)
                // The odd unit goes at the end for SAME_UPPER, at the start otherwise.
                let atStart = autoPad == "SAME_UPPER" ? padding / 2 : padding - padding / 2
                pads[axis] = atStart
                pads[axis + rank] = padding - atStart
                output.append(target)
            } else {
                if autoPad == "VALID" { pads[axis] = 0; pads[axis + rank] = 0 }
                output.append(full - pads[axis] - pads[axis + rank])
            }
        }
        guard output.allSatisfy({ $0 > 0 }) else {
            throw context.fail("pads \(pads) leave no output for input \(input) and kernel \(kernel) (output would be \(output))")
        }
        return Geometry(strides: strides, dilations: dilations, padsBegin: Array(pads[0..<rank]), output: output)
    }

    static func convTranspose(_ context: NodeContext, _ inputs: [Tensor?]) throws -> Tensor {
        let x = try context.input(inputs, 0)
        let w = try context.input(inputs, 1)
        let bias = inputs.count > 2 ? inputs[2]?.floats : nil
        guard x.shape.count >= 3 else { throw context.fail("input must be [N, C, D1, …] with at least one spatial axis, got \(x.shapeDescription)") }
        guard w.shape.count == x.shape.count else {
            throw context.fail("weights \(w.shapeDescription) must have the rank of the input \(x.shapeDescription): [C, M/group, k1, …]")
        }
        let (batches, channels) = (x.shape[0], x.shape[1])
        let group = context.int("group", 1)
        guard group > 0, channels % group == 0, w.shape[0] == channels else {
            throw context.fail("weights \(w.shapeDescription) do not fit input \(x.shapeDescription) with group \(group): weights must be [C, M/group, k1, …] with C divisible by group")
        }
        let kernel = Array(w.shape[2...])
        if let given = context.ints("kernel_shape"), given != kernel {
            throw context.fail("kernel_shape \(given) differs from the weights' spatial shape \(kernel)")
        }
        guard kernel.allSatisfy({ $0 > 0 }), w.shape[1] > 0 else { throw context.fail("weights \(w.shapeDescription) are empty") }
        let perGroupIn = channels / group, perGroupOut = w.shape[1], outChannels = perGroupOut * group
        if let bias, bias.count != outChannels {
            throw context.fail("B must have one value per output channel (\(outChannels)), got \(bias.count)")
        }
        let inputSize = Array(x.shape[2...])
        let g = try geometry(context, input: inputSize, kernel: kernel)
        let outShape = [batches, outChannels] + g.output
        guard let total = Shape.count(outShape), total <= 1 << 28 else { throw context.fail("the output \(outShape) is too large") }

        let rank = inputSize.count
        let inPositions = inputSize.reduce(1, *), outPositions = g.output.reduce(1, *), taps = kernel.reduce(1, *)
        let outStrides = Shape.strides(g.output)
        let kernelCoordinates = (0..<taps).map { tap in coordinates(tap, kernel) }
        var out = [Float](repeating: 0, count: total)
        let xs = x.floats, ws = w.floats
        xs.withUnsafeBufferPointer { xs in
            ws.withUnsafeBufferPointer { ws in
                out.withUnsafeMutableBufferPointer { out in
                    var target = [Int](repeating: 0, count: taps)
                    for position in 0..<inPositions {
                        let coordinate = coordinates(position, inputSize)
                        // The output position of every tap, or -1 when it falls in the padding.
                        for tap in 0..<taps {
                            var offset = 0
                            for axis in 0..<rank {
                                let o = coordinate[axis] * g.strides[axis] - g.padsBegin[axis] + kernelCoordinates[tap][axis] * g.dilations[axis]
                                if o < 0 || o >= g.output[axis] { offset = -1; break }
                                offset += o * outStrides[axis]
                            }
                            target[tap] = offset
                        }
                        for n in 0..<batches {
                            for gi in 0..<group {
                                for ci in 0..<perGroupIn {
                                    let channel = gi * perGroupIn + ci
                                    let value = xs[(n * channels + channel) * inPositions + position]
                                    for mi in 0..<perGroupOut {
                                        let weights = (channel * perGroupOut + mi) * taps
                                        let plane = (n * outChannels + gi * perGroupOut + mi) * outPositions
                                        for tap in 0..<taps where target[tap] >= 0 {
                                            out[plane + target[tap]] += value * ws[weights + tap]
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        if let bias {
            for plane in 0..<(batches * outChannels) {
                let value = bias[plane % outChannels]
                for index in (plane * outPositions)..<((plane + 1) * outPositions) { out[index] += value }
            }
        }
        return Tensor(shape: outShape, floats: out)
    }

    /// The row-major coordinates of flat `index` in `shape`.
    static func coordinates(_ index: Int, _ shape: [Int]) -> [Int] {
        var coordinate = Array(repeating: 0, count: shape.count)
        var remainder = index
        for axis in shape.indices.reversed() {
            coordinate[axis] = remainder % shape[axis]
            remainder /= shape[axis]
        }
        return coordinate
    }
}
