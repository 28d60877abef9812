import Foundation
import WardenCore

extension ConvolutionKernels {
    /// What the executor builds at load time for a Conv whose weights are an
    /// initializer: the weights packed per group, and a fused Relu.
    struct ConvPlan: Sendable {
        /// One packed A per group, for `kernel`, from weights of `weightShape`.
        var packedWeights: [PackedPanels] = []
        var kernel: GEMM.Microkernel = .best
        var weightShape: [Int] = []
        /// Apply Relu to the output (a Relu node fused into this one).
        var relu = false
    }

    /// Floats of the im2col block a worker keeps in cache: about 512 KiB.
    static let columnBudget = 1 << 17

    /// Conv as GEMM: for every image, group and block of output positions,
    /// im2col the block (skipped for a 1×1, stride-1, unpadded kernel) and
    /// multiply the group's packed weights by it, adding the bias and Relu in
    /// the GEMM's epilogue. Blocks spread over the threads; when there are
    /// fewer blocks than threads each GEMM splits instead.
    static func convolution(_ context: NodeContext, _ inputs: [Tensor?]) throws -> Tensor {
        let x = try context.input(inputs, 0)
        let w = try context.input(inputs, 1)
        let (n, c, size) = try spatial(x.shape, context)
        let group = context.int("group", 1)
        guard let m = w.shape.first, group > 0, c % group == 0, m % group == 0, w.shape.count == x.shape.count, w.shape[1] * group == c else {
            throw context.fail("weights \(w.shapeDescription) do not fit input \(x.shapeDescription) with group \(group)")
        }
        let kernelShape = context.ints("kernel_shape") ?? Array(w.shape[2...])
        guard kernelShape == Array(w.shape[2...]) else { throw context.fail("kernel_shape \(kernelShape) does not match weights \(w.shapeDescription)") }
        let g = try geometry(context, input: size, kernel: kernelShape)
        let bias = inputs.count > 2 ? inputs[2]?.floats : nil
        if let bias, bias.count != m { throw context.fail("B must have \(m) values, one per output channel, got \(bias.count)") }
        let shape = Conv2D(size: size, kernel: kernelShape, geometry: g, channels: c / group)
        let mg = m / group
        let depth = shape.depth, positions = shape.positions
        let plan = context.prepared as? ConvPlan
        let relu = plan?.relu ?? false
        let kernel: GEMM.Microkernel
        let weights: [PackedPanels]
        if let plan, plan.weightShape == w.shape, plan.packedWeights.count == group {
            (kernel, weights) = (plan.kernel, plan.packedWeights)
        } else {
            kernel = .best
            weights = try LinearAlgebraKernels.withFloats(w) { ws in
                (0..<group).map { gi in GEMM.packA((ws.baseAddress ?? GEMM.placeholder) + gi * mg * depth, rowStride: depth, columnStride: 1, m: mg, k: depth, kernel: kernel) }
            }
        }

        // Blocks of output positions: a multiple of the tile width that keeps the im2col block in cache, and at least one per thread.
        let threads = max(1, context.threads)
        // With deep kernels (large K) the block stays at least 256 wide, or the packed weights would stream from memory once per narrow block.
        var block = max(8 * kernel.nr, columnBudget / max(depth, 1) / kernel.nr * kernel.nr)
        if (positions + block - 1) / block < threads, positions >= threads * kernel.nr {
            block = ((positions + threads - 1) / threads + kernel.nr - 1) / kernel.nr * kernel.nr
        }
        block = min(block, max(positions, 1))
        let blocks = (positions + block - 1) / block
        let items = n * group * blocks
        let innerThreads = items >= threads ? 1 : max(1, threads / max(items, 1))

        var out = [Float](repeating: 0, count: n * m * positions)
        try LinearAlgebraKernels.withFloats(x) { xs in
            try LinearAlgebraKernels.withOptional(bias) { biasPointer in
                let input = xs.baseAddress ?? GEMM.placeholder
                out.withUnsafeMutableBufferPointer { buffer in
                    guard let output = buffer.baseAddress.map(SendablePointer.init) else { return }
                    Parallel.forEachWorker(items, threads: threads) { mine in
                        let scratch: UnsafeMutablePointer<Float>? = shape.pointwise ? nil : .allocate(capacity: depth * block)
                        defer { scratch?.deallocate() }
                        for item in mine {
                            let (image, rest) = item.quotientAndRemainder(dividingBy: group * blocks)
                            let (gi, blockIndex) = rest.quotientAndRemainder(dividingBy: blocks)
                            let first = blockIndex * block
                            let width = min(block, positions - first)
                            let plane = input + (image * c + gi * shape.channels) * shape.planeSize
                            let right: GEMM.Operand
                            if let scratch {
                                shape.im2col(plane, first: first, width: width, into: scratch)
                                right = .matrix(scratch, rowStride: width)
                            } else {
                                right = .matrix(plane + first, rowStride: shape.planeSize)
                            }
                            let epilogue = GEMM.Epilogue(relu: relu, rowBias: biasPointer.map { $0 + gi * mg })
                            GEMM.multiply(.packed(weights[gi]), right, m: mg, n: width, k: depth,
                                          into: output.pointer + (image * m + gi * mg) * positions + first, ldc: positions,
                                          epilogue: epilogue, threads: innerThreads, kernel: kernel)
                        }
                    }
                }
            }
        }
        return Tensor(shape: [n, m] + g.output, floats: out)
    }

    /// The geometry of a 1-D or 2-D convolution, 1-D seen as height 1.
    struct Conv2D: Sendable {
        let h, w, kh, kw, oh, ow, sh, sw, dh, dw, ph, pw: Int
        /// Input channels per group.
        let channels: Int

        init(size: [Int], kernel: [Int], geometry g: Geometry, channels: Int) {
            (h, w) = size.count == 2 ? (size[0], size[1]) : (1, size[0])
            (kh, kw) = kernel.count == 2 ? (kernel[0], kernel[1]) : (1, kernel[0])
            (oh, ow) = g.output.count == 2 ? (g.output[0], g.output[1]) : (1, g.output[0])
            (sh, sw) = g.strides.count == 2 ? (g.strides[0], g.strides[1]) : (1, g.strides[0])
            (dh, dw) = g.dilations.count == 2 ? (g.dilations[0], g.dilations[1]) : (1, g.dilations[0])
            (ph, pw) = g.padsBegin.count == 2 ? (g.padsBegin[0], g.padsBegin[1]) : (0, g.padsBegin[0])
            self.channels = channels
        }

        var planeSize: Int { h * w }
        var positions: Int { oh * ow }
        /// The GEMM's K: one row per (channel, ky, kx).
        var depth: Int { channels * kh * kw }
        /// A 1×1 kernel with stride 1 and no padding reads the input as it is: no im2col.
        var pointwise: Bool { kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0 && oh == h && ow == w }

        /// Writes the im2col rows for output positions `first..<first + width` of one group's channels (starting at `plane`).
        func im2col(_ plane: UnsafePointer<Float>, first: Int, width: Int, into destination: UnsafeMutablePointer<Float>) {
            var row = destination
            for channel in 0..<channels {
                let source = plane + channel * planeSize
                for ky in 0..<kh {
                    for kx in 0..<kw {
                        var (oy, ox) = first.quotientAndRemainder(dividingBy: ow)
                        var written = 0
                        while written < width {
                            let run = min(ow - ox, width - written)
                            let target = row + written
                            let iy = oy * sh - ph + ky * dh
                            if iy < 0 || iy >= h {
                                target.initialize(repeating: 0, count: run)
                            } else {
                                let line = source + iy * w
                                let start = ox * sw - pw + kx * dw
                                if sw == 1 {
                                    // Positions whose column lands inside the row copy in one go; the rest are padding.
                                    let low = min(run, max(0, -start))
                                    let high = max(low, min(run, w - start))
                                    if low > 0 { target.initialize(repeating: 0, count: low) }
                                    if high > low { (target + low).update(from: line + start + low, count: high - low) }
                                    if run > high { (target + high).initialize(repeating: 0, count: run - high) }
                                } else {
                                    for step in 0..<run {
                                        let ix = start + step * sw
                                        target[step] = ix >= 0 && ix < w ? line[ix] : 0
                                    }
                                }
                            }
                            written += run
                            ox = 0
                            oy += 1
                        }
                        row += width
                    }
                }
            }
        }
    }
}
