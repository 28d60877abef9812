import Foundation
import WardenCore
import WardenTensor

/// Conv (im2col + GEMM in ConvolutionKernels+Conv.swift; groups, dilations, auto_pad), MaxPool and AveragePool
/// (ceil_mode, count_include_pad), GlobalAveragePool, GlobalMaxPool and
/// BatchNormalization (inference), for 1-D and 2-D spatial inputs.
enum ConvolutionKernels {
    /// Per spatial axis: window extent and placement, and the output size.
    struct Geometry {
        var input: [Int]
        var kernel: [Int]
        var strides: [Int]
        var dilations: [Int]
        var padsBegin: [Int]
        var padsEnd: [Int]
        var output: [Int]
    }

    /// The output size and pads of a sliding window (Conv and pooling, any number of
    /// spatial axes), with ONNX's `auto_pad` and `ceil_mode` rules.
    /// - Throws: `.invalidArgument` for attributes that do not match the axes, are out of
    ///   range, or leave no output.
    static func geometry(_ context: NodeContext, input: [Int], kernel: [Int], ceilMode: Bool = false) throws -> Geometry {
        let rank = input.count
        let limit = 1 << 24
        let strides = context.ints("strides") ?? Array(repeating: 1, count: rank)
        let dilations = context.ints("dilations") ?? Array(repeating: 1, count: rank)
        var pads = context.ints("pads") ?? Array(repeating: 0, count: 2 * rank)
        guard kernel.count == rank, strides.count == rank, dilations.count == rank, pads.count == 2 * rank else {
            throw context.fail("kernel_shape, strides and dilations need \(rank) values and pads \(2 * rank), one per spatial axis")
        }
        guard kernel.allSatisfy({ (1...limit).contains($0) }), strides.allSatisfy({ (1...limit).contains($0) }),
              dilations.allSatisfy({ (1...limit).contains($0) }), pads.allSatisfy({ (0...limit).contains($0) }) else {
            throw context.fail("kernel_shape, strides and dilations must be positive and pads non-negative (kernel \(kernel), strides \(strides), dilations \(dilations), pads \(pads))")
        }
        let autoPad = context.string("auto_pad", "NOTSET")
        var output: [Int] = []
        for axis in 0..<rank {
            let extent = (kernel[axis] - 1) * dilations[axis] + 1
            switch autoPad {
            case "SAME_UPPER", "SAME_LOWER":
                let out = (input[axis] + strides[axis] - 1) / strides[axis]
                let total = max(0, (out - 1) * strides[axis] + extent - input[axis])
                pads[axis] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2
                pads[axis + rank] = total - pads[axis]
                output.append(out)
            case "VALID", "NOTSET":
                if autoPad == "VALID" { pads[axis] = 0; pads[axis + rank] = 0 }
                let span = input[axis] + pads[axis] + pads[axis + rank] - extent
                guard span >= 0 else { output.append(0); continue }
                var out = (ceilMode ? (span + strides[axis] - 1) / strides[axis] : span / strides[axis]) + 1
                // A window that would start in the end padding only is dropped (the ONNX ceil_mode rule).
                if ceilMode, (out - 1) * strides[axis] >= input[axis] + pads[axis] { out -= 1 }
                output.append(out)
            default:
                throw context.fail("auto_pad '\(autoPad)' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID")
            }
        }
        guard output.allSatisfy({ $0 > 0 }) else {
            throw context.fail("the kernel \(kernel) does not fit the input \(input) with pads \(pads), strides \(strides) and dilations \(dilations)")
        }
        return Geometry(input: input, kernel: kernel, strides: strides, dilations: dilations,
                        padsBegin: Array(pads[0..<rank]), padsEnd: Array(pads[rank...]), output: output)
    }

    /// Views a 1-D spatial tensor [N, C, L] as 2-D [N, C, 1, L].
    static func spatial(_ shape: [Int], _ context: NodeContext) throws -> (n: Int, c: Int, size: [Int]) {
        guard shape.count == 3 || shape.count == 4 else { throw context.fail("supports 1-D and 2-D inputs ([N, C, L] or [N, C, H, W]), got \(shape)") }
        return (shape[0], shape[1], Array(shape[2...]))
    }

    static func register(_ table: inout [String: Kernel]) {
        table["Conv"] = { context, inputs in [try convolution(context, inputs)] }
        table["MaxPool"] = { context, inputs in [try pool(context, inputs, average: false)] }
        table["AveragePool"] = { context, inputs in [try pool(context, inputs, average: true)] }
        table["GlobalAveragePool"] = { context, inputs in [try global(context, inputs, average: true)] }
        table["GlobalMaxPool"] = { context, inputs in [try global(context, inputs, average: false)] }
        table["BatchNormalization"] = { context, inputs in
            let x = try context.input(inputs, 0)
            let scale = try context.input(inputs, 1).floats, bias = try context.input(inputs, 2).floats
            let mean = try context.input(inputs, 3).floats, variance = try context.input(inputs, 4).floats
            let epsilon = context.float("epsilon", 1e-5)
            guard x.shape.count >= 2 else { throw context.fail("input must be [N, C, …], got \(x.shapeDescription)") }
            let channels = x.shape[1], inner = x.shape[2...].reduce(1, *)
            guard [scale.count, bias.count, mean.count, variance.count].allSatisfy({ $0 == channels }) else { throw context.fail("scale, B, mean and var must have \(channels) values") }
            // y = x·a + b per channel, with a = scale / √(var + ε) and b = bias − mean·a.
            let factors = (0..<channels).map { scale[$0] / (variance[$0] + epsilon).squareRoot() }
            let shifts = (0..<channels).map { bias[$0] - mean[$0] * factors[$0] }
            var values = context.outputCopy(of: x)
            values.withUnsafeMutableBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                for plane in 0..<(inner == 0 ? 0 : buffer.count / inner) {
                    let channel = plane % channels
                    Vectorized.affine(base + plane * inner, count: inner, scale: factors[channel], shift: shifts[channel])
                }
            }
            return [Tensor(shape: x.shape, floats: values)]
        }
    }

    static func pool(_ context: NodeContext, _ inputs: [Tensor?], average: Bool) throws -> Tensor {
        let x = try context.input(inputs, 0)
        let (n, c, size) = try spatial(x.shape, context)
        guard let kernel = context.ints("kernel_shape"), kernel.count == size.count else { throw context.fail("needs kernel_shape with \(size.count) values") }
        let g = try geometry(context, input: size, kernel: kernel, ceilMode: context.int("ceil_mode", 0) != 0)
        let includePad = context.int("count_include_pad", 0) != 0
        let (h, wd) = size.count == 2 ? (size[0], size[1]) : (1, size[0])
        let (kh, kw) = kernel.count == 2 ? (kernel[0], kernel[1]) : (1, kernel[0])
        let (oh, ow) = g.output.count == 2 ? (g.output[0], g.output[1]) : (1, g.output[0])
        let (sh, sw) = g.strides.count == 2 ? (g.strides[0], g.strides[1]) : (1, g.strides[0])
        let (dh, dw) = g.dilations.count == 2 ? (g.dilations[0], g.dilations[1]) : (1, g.dilations[0])
        let (ph, pw) = g.padsBegin.count == 2 ? (g.padsBegin[0], g.padsBegin[1]) : (0, g.padsBegin[0])
        let pads = context.ints("pads") ?? Array(repeating: 0, count: 2 * size.count)
        let (peh, pew) = size.count == 2 ? (pads.count == 4 ? (pads[2], pads[3]) : (0, 0)) : (0, pads.count == 2 ? pads[1] : 0)
        let xs = x.floats
        // Every path below writes every output element.
        var out = context.outputFloats(count: n * c * oh * ow)
        let planes = n * c
        // The common 2 × 2 window with stride 2 and no padding (every window whole) has its own loop.
        let halving = kh == 2 && kw == 2 && sh == 2 && sw == 2 && dh == 1 && dw == 1 && ph == 0 && pw == 0
            && 2 * oh <= h && 2 * ow <= wd && size.count == 2
        // Planes are independent: spread them over the threads when there is enough work.
        let threads = planes * oh * ow * kh * kw >= 1 << 16 ? context.threads : 1
        xs.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { buffer in
                guard let input = source.baseAddress, let output = buffer.baseAddress.map(SendablePointer.init) else { return }
                Parallel.forEach(planes, threads: threads) { plane in
                    let base = input + plane * h * wd
                    let target = output.pointer + plane * oh * ow
                    if halving {
                        pool2x2(base, width: wd, into: target, height: oh, width: ow, average: average)
                        return
                    }
                    if !(average && includePad) {
                        // The taps inside the input form a rectangle: clamp it once per output instead of testing every tap.
                        func taps(_ origin: Int, _ dilation: Int, _ count: Int, _ limit: Int) -> Range<Int> {
                            if dilation == 1 {
                                // No division in the common case: it cost more than the taps of a 2×2 window.
                                let low = max(0, -origin)
                                return low..<max(low, min(count, limit - origin))
                            }
                            let low = origin >= 0 ? 0 : (-origin + dilation - 1) / dilation
                            let high = min(count, origin >= limit ? 0 : (limit - origin + dilation - 1) / dilation)
                            return low..<max(low, high)
                        }
                        if !average, dh == 1, dw == 1, wd >= 16 {
                            // Separable: the max over the window's rows for a whole row of columns, 16 at a time,
                            // then the max over the window's columns of that row. A NaN never wins, as below.
                            let rowMax = UnsafeMutablePointer<Float>.allocate(capacity: wd)
                            defer { rowMax.deallocate() }
                            for oy in 0..<oh {
                                let iy0 = oy * sh - ph
                                let rows = taps(iy0, 1, kh, h)
                                rowMax.initialize(repeating: -.infinity, count: wd)
                                for ky in rows {
                                    let line = base + (iy0 + ky) * wd
                                    var x = 0
                                    while x + 16 <= wd {
                                        let v = UnsafeRawPointer(line + x).loadUnaligned(as: SIMD16<Float>.self)
                                        let best = UnsafeRawPointer(rowMax + x).loadUnaligned(as: SIMD16<Float>.self)
                                        UnsafeMutableRawPointer(rowMax + x).storeBytes(of: best.replacing(with: v, where: v .> best), as: SIMD16<Float>.self)
                                        x += 16
                                    }
                                    while x < wd {
                                        if line[x] > rowMax[x] { rowMax[x] = line[x] }
                                        x += 1
                                    }
                                }
                                for ox in 0..<ow {
                                    let ix0 = ox * sw - pw
                                    var best = -Float.infinity
                                    for kx in taps(ix0, 1, kw, wd) where rowMax[ix0 + kx] > best { best = rowMax[ix0 + kx] }
                                    target[oy * ow + ox] = best
                                }
                            }
                            return
                        }
                        for oy in 0..<oh {
                            let iy0 = oy * sh - ph
                            let rows = taps(iy0, dh, kh, h)
                            for ox in 0..<ow {
                                let ix0 = ox * sw - pw
                                let columns = taps(ix0, dw, kw, wd)
                                if average {
                                    var sum: Float = 0
                                    for ky in rows {
                                        let line = base + (iy0 + ky * dh) * wd + ix0
                                        for kx in columns { sum += line[kx * dw] }
                                    }
                                    target[oy * ow + ox] = sum / Float(max(1, rows.count * columns.count))
                                } else {
                                    var best = -Float.infinity
                                    for ky in rows {
                                        let line = base + (iy0 + ky * dh) * wd + ix0
                                        for kx in columns {
                                            let value = line[kx * dw]
                                            if value > best { best = value }
                                        }
                                    }
                                    target[oy * ow + ox] = best
                                }
                            }
                        }
                        return
                    }
                    for oy in 0..<oh {
                        for ox in 0..<ow {
                            var best = -Float.infinity, sum: Float = 0, count = 0, padded = 0
                            for ky in 0..<kh {
                                let iy = oy * sh - ph + ky * dh
                                for kx in 0..<kw {
                                    let ix = ox * sw - pw + kx * dw
                                    if iy >= 0, iy < h, ix >= 0, ix < wd {
                                        let value = base[iy * wd + ix]
                                        best = max(best, value)
                                        sum += value
                                        count += 1
                                    } else if iy >= -ph, iy < h + peh, ix >= -pw, ix < wd + pew {
                                        padded += 1
                                    }
                                }
                            }
                            target[oy * ow + ox] = average ? sum / Float(max(1, includePad ? count + padded : count)) : best
                        }
                    }
                }
            }
        }
        return Tensor(shape: [n, c] + g.output, floats: out)
    }

    /// MaxPool or AveragePool with a 2 × 2 window and stride 2 over whole windows: 8 outputs at a time
    /// from 16 columns of two rows. As in the general loop, a NaN never wins a max (an all-NaN window gives −∞).
    static func pool2x2(_ input: UnsafePointer<Float>, width: Int, into output: UnsafeMutablePointer<Float>, height oh: Int, width ow: Int, average: Bool) {
        let lowest = SIMD8<Float>(repeating: -.infinity)
        for oy in 0..<oh {
            let top = input + 2 * oy * width, bottom = top + width
            let target = output + oy * ow
            var ox = 0
            while ox + 8 <= ow {
                let a = UnsafeRawPointer(top + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
                let b = UnsafeRawPointer(bottom + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
                let result: SIMD8<Float>
                if average {
                    result = (a.evenHalf + a.oddHalf + b.evenHalf + b.oddHalf) * 0.25
                } else {
                    var best = lowest
                    best.replace(with: a.evenHalf, where: a.evenHalf .> best)
                    best.replace(with: a.oddHalf, where: a.oddHalf .> best)
                    best.replace(with: b.evenHalf, where: b.evenHalf .> best)
                    best.replace(with: b.oddHalf, where: b.oddHalf .> best)
                    result = best
                }
                UnsafeMutableRawPointer(target + ox).storeBytes(of: result, as: SIMD8<Float>.self)
                ox += 8
            }
            while ox < ow {
                let (p, q, r, t) = (top[2 * ox], top[2 * ox + 1], bottom[2 * ox], bottom[2 * ox + 1])
                if average {
                    target[ox] = (p + q + r + t) * 0.25
                } else {
                    var best = -Float.infinity
                    if p > best { best = p }
                    if q > best { best = q }
                    if r > best { best = r }
                    if t > best { best = t }
                    target[ox] = best
                }
                ox += 1
            }
        }
    }

    static func global(_ context: NodeContext, _ inputs: [Tensor?], average: Bool) throws -> Tensor {
        let x = try context.input(inputs, 0)
        guard x.shape.count >= 3 else { throw context.fail("input must be [N, C, …], got \(x.shapeDescription)") }
        let planes = x.shape[0] * x.shape[1], inner = x.shape[2...].reduce(1, *)
        let xs = x.floats
        let values = (0..<planes).map { plane -> Float in
            let slice = xs[(plane * inner)..<((plane + 1) * inner)]
            return average ? slice.reduce(0, +) / Float(max(inner, 1)) : (slice.max() ?? 0)
        }
        return Tensor(shape: [x.shape[0], x.shape[1]] + Array(repeating: 1, count: x.shape.count - 2), floats: values)
    }
}
