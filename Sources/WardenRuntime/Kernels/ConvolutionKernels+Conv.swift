import Foundation
import WardenCore
import WardenTensor

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
        /// The weights for Winograd, for a 3×3 stride-1 Conv wide enough to gain from it.
        var winograd: WinogradWeights?
        /// The weights for outputs with few positions, for an ungrouped Conv.
        var transposed: TransposedWeights?
    }

    /// A Conv's weights packed as the B of `outputᵀ = im2colᵀ · Wᵀ`, made by the first call that needs them.
    ///
    /// With few output positions (the 7×7 maps at the end of a ResNet: 49
    /// positions, 512 filters, K = 4608) the usual `W · im2col` has 49 columns,
    /// and the 32-wide tiles compute 64 of them. Turned around, the 512 filters
    /// fill the columns exactly and the 49 positions are rows, which the tile
    /// handles at any count. Measured on ResNet-18's last stage: see docs/performance.md.
    final class TransposedWeights: Sendable {
        let filters: Int
        let depth: Int
        private let packed: OnFirstUse<PackedPanels>

        init(weights: Tensor, filters: Int, kernel: GEMM.Microkernel) {
            let depth = filters > 0 ? weights.elementCount / filters : 0
            (self.filters, self.depth) = (filters, depth)
            packed = OnFirstUse {
                weights.withFloatBuffer { buffer in
                    buffer.baseAddress.map { GEMM.packB($0, rowStride: 1, columnStride: depth, k: depth, n: filters, kernel: kernel) }
                }
            }
        }

        /// Whether a call has packed the weights yet.
        var isPacked: Bool { packed.isMade }

        /// Whether a layer with `positions` output positions per image should turn the product around.
        func suits(positions: Int, kernel: GEMM.Microkernel) -> Bool {
            positions < 2 * kernel.nr && filters >= 4 * kernel.nr && filters % kernel.nr == 0 && depth >= 64
        }

        func panels() -> PackedPanels? { packed.value() }
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
        guard (3...5).contains(x.shape.count) else { throw context.fail("supports 1-D, 2-D and 3-D inputs ([N, C, L], [N, C, H, W] or [N, C, D, H, W]), got \(x.shape)") }
        let (n, c, size) = (x.shape[0], x.shape[1], Array(x.shape[2...]))
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

        if let weights = plan?.winograd, plan?.weightShape == w.shape, x.shape.count == 4, group == 1,
           kernelShape == [3, 3], g.strides == [1, 1], g.dilations == [1, 1], weights.channels == c, weights.filters == m {
            let layout = Winograd.Layout(images: n, height: size[0], width: size[1], outputHeight: g.output[0], outputWidth: g.output[1],
                                         padTop: g.padsBegin[0], padLeft: g.padsBegin[1])
            if layout.tiles >= Winograd.minimumTiles, try LinearAlgebraKernels.withFloats(x, Winograd.allFinite), let winograd = weights.winograd() {
                // Every output element is written by the output transform.
                var out = context.outputFloats(count: n * m * positions)
                try LinearAlgebraKernels.withFloats(x) { xs in
                    try LinearAlgebraKernels.withOptional(bias) { biasPointer in
                        try out.withUnsafeMutableBufferPointer { buffer in
                            guard let base = xs.baseAddress, let output = buffer.baseAddress else {
                                throw context.fail("has an empty input or output")
                            }
                            winograd.run(base, layout, bias: biasPointer, relu: relu, into: output, threads: context.threads)
                        }
                    }
                }
                return Tensor(shape: [n, m] + g.output, floats: out)
            }
        }

        if let transposed = plan?.transposed, plan?.weightShape == w.shape, group == 1, transposed.filters == m, transposed.depth == depth,
           transposed.suits(positions: positions, kernel: kernel), let packed = transposed.panels() {
            var out = context.outputFloats(count: n * m * positions)
            try LinearAlgebraKernels.withFloats(x) { xs in
                try LinearAlgebraKernels.withOptional(bias) { biasPointer in
                    try out.withUnsafeMutableBufferPointer { buffer in
                        guard let input = xs.baseAddress, let output = buffer.baseAddress else { throw context.fail("has an empty input or output") }
                        let columns = ScratchMemory.allocate(floats: depth * positions)
                        let product = ScratchMemory.allocate(floats: positions * m)
                        defer {
                            ScratchMemory.release(columns, floats: depth * positions)
                            ScratchMemory.release(product, floats: positions * m)
                        }
                        for image in 0..<n {
                            let plane = input + image * c * shape.planeSize
                            let left: GEMM.Operand
                            if shape.pointwise {
                                left = .matrix(plane, rowStride: 1, columnStride: shape.planeSize)
                            } else {
                                shape.im2col(plane, first: 0, width: positions, into: columns)
                                left = .matrix(columns, rowStride: 1, columnStride: positions)
                            }
                            // productᵀ [positions × filters], then stored as [filters][positions].
                            GEMM.multiply(left, .packed(packed), m: positions, n: m, k: depth, into: product, ldc: m,
                                          epilogue: GEMM.Epilogue(relu: relu, columnBias: biasPointer), threads: max(1, context.threads), kernel: kernel)
                            let target = output + image * m * positions
                            for position in 0..<positions {
                                let row = product + position * m
                                for filter in 0..<m { target[filter * positions + position] = row[filter] }
                            }
                        }
                    }
                }
            }
            return Tensor(shape: [n, m] + g.output, floats: out)
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

        // The GEMM writes every element (an empty depth still gets its bias).
        var out = context.outputFloats(count: n * m * positions, zeroed: depth == 0)
        try LinearAlgebraKernels.withFloats(x) { xs in
            try LinearAlgebraKernels.withOptional(bias) { biasPointer in
                let input = xs.baseAddress ?? GEMM.placeholder
                out.withUnsafeMutableBufferPointer { buffer in
                    guard let output = buffer.baseAddress.map(SendablePointer.init) else { return }
                    Parallel.forEachWorker(items, threads: threads) { mine in
                        let scratch = shape.pointwise ? nil : ScratchMemory.allocate(floats: depth * block)
                        defer { scratch.map { ScratchMemory.release($0, floats: depth * block) } }
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

    /// The geometry of a 1-D, 2-D or 3-D convolution: fewer axes are seen as depth and height 1.
    struct Conv2D: Sendable {
        let d, h, w, kd, kh, kw, od, oh, ow, sd, sh, sw, dd, dh, dw, pd, ph, pw: Int
        /// Input channels per group.
        let channels: Int

        init(size: [Int], kernel: [Int], geometry g: Geometry, channels: Int) {
            func axes(_ values: [Int], _ fill: Int) -> (Int, Int, Int) {
                let padded = Array(repeating: fill, count: max(0, 3 - values.count)) + values.suffix(3)
                return (padded[0], padded[1], padded[2])
            }
            (d, h, w) = axes(size, 1)
            (kd, kh, kw) = axes(kernel, 1)
            (od, oh, ow) = axes(g.output, 1)
            (sd, sh, sw) = axes(g.strides, 1)
            (dd, dh, dw) = axes(g.dilations, 1)
            (pd, ph, pw) = axes(Array(g.padsBegin.prefix(size.count)), 0)
            self.channels = channels
        }

        var planeSize: Int { d * h * w }
        var positions: Int { od * oh * ow }
        /// The GEMM's K: one row per (channel, kz, ky, kx).
        var depth: Int { channels * kd * kh * kw }
        /// A 1×1 kernel with stride 1 and no padding reads the input as it is: no im2col.
        var pointwise: Bool {
            kd == 1 && kh == 1 && kw == 1 && sd == 1 && sh == 1 && sw == 1 && pd == 0 && ph == 0 && pw == 0 && od == d && oh == h && ow == w
        }

        /// Writes the im2col rows for output positions `first..<first + width` of one group's channels (starting at `plane`).
        func im2col(_ plane: UnsafePointer<Float>, first: Int, width: Int, into destination: UnsafeMutablePointer<Float>) {
            var row = destination
            for channel in 0..<channels {
                let source = plane + channel * planeSize
                for kz in 0..<kd {
                    for ky in 0..<kh {
                        for kx in 0..<kw {
                            let (startZ, rest) = first.quotientAndRemainder(dividingBy: oh * ow)
                            var oz = startZ
                            var (oy, ox) = rest.quotientAndRemainder(dividingBy: ow)
                            var written = 0
                            while written < width {
                                let run = min(ow - ox, width - written)
                                let target = row + written
                                let iz = oz * sd - pd + kz * dd
                                let iy = oy * sh - ph + ky * dh
                                if iz < 0 || iz >= d || iy < 0 || iy >= h {
                                    target.initialize(repeating: 0, count: run)
                                } else {
                                    let line = source + (iz * h + iy) * w
                                    let start = ox * sw - pw + kx * dw
                                    if sw == 1 {
                                        // Positions whose column lands inside the row copy in one go; the rest are padding.
                                        let low = min(run, max(0, -start))
                                        let high = max(low, min(run, w - start))
                                        if low > 0 { target.initialize(repeating: 0, count: low) }
                                        if high > low { (target + low).update(from: line + start + low, count: high - low) }
                                        if run > high { (target + high).initialize(repeating: 0, count: run - high) }
                                    } else {
                                        // Steps whose column lands inside the row, [low, high); the rest are padding.
                                        let low = min(run, start >= 0 ? 0 : (-start + sw - 1) / sw)
                                        let high = max(low, min(run, start >= w ? 0 : (w - start + sw - 1) / sw))
                                        if low > 0 { target.initialize(repeating: 0, count: low) }
                                        var step = low
                                        if sw == 2 {
                                            // Every other float of 32 loaded at once: 16 steps per load while the load stays inside the row.
                                            while step + 16 <= high, start + 2 * step + 32 <= w {
                                                let pair = UnsafeRawPointer(line + start + 2 * step).loadUnaligned(as: SIMD32<Float>.self)
                                                UnsafeMutableRawPointer(target + step).storeBytes(of: pair.evenHalf, as: SIMD16<Float>.self)
                                                step += 16
                                            }
                                        }
                                        while step < high {
                                            target[step] = line[start + step * sw]
                                            step += 1
                                        }
                                        if run > high { (target + high).initialize(repeating: 0, count: run - high) }
                                    }
                                }
                                written += run
                                ox = 0
                                oy += 1
                                if oy == oh {
                                    oy = 0
                                    oz += 1
                                }
                            }
                            row += width
                        }
                    }
                }
            }
        }
    }
}
