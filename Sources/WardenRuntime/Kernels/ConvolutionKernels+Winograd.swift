import Foundation
import WardenTensor

extension ConvolutionKernels {
    /// A 3×3, stride-1 convolution by Winograd's minimal filtering, F(4×4, 3×3)
    /// (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2015).
    ///
    /// Each 4×4 block of outputs ("tile") is computed from the 6×6 block of
    /// input under it. Both are moved into the Winograd domain, where the
    /// convolution becomes an element-wise product, and a sum over channels of
    /// products is a matrix product. So a layer is:
    /// 1. the input transform, `V = Bᵀ d B` for every tile and input channel;
    /// 2. 36 GEMMs, one per point ξ of the 6×6 domain: `M[ξ] = U[ξ] · V[ξ]`,
    ///    with `U = G g Gᵀ` the weights transformed once at load time;
    /// 3. the output transform, `Y = Aᵀ M A`, plus the bias and Relu.
    ///
    /// The GEMMs do 36 multiply-adds per tile and channel pair where im2col
    /// does 144, so the layer needs a quarter of the arithmetic. The price is
    /// the transforms, rounding a little further from the direct sum (about
    /// 1e-6 relative here, well inside ONNX's 1e-3), and transformed weights
    /// four times the size of the originals.
    ///
    /// The executor uses it for 2-D Conv with 3×3 weights known at load time,
    /// stride 1, dilation 1, group 1, at least 16 input and output channels
    /// and a multiple of 8 output channels, when the output has enough tiles for the transforms to pay off
    /// (`minimumTiles`); see docs/performance.md for the measurements.
    /// A Conv's weights, kept for Winograd until a call first needs the
    /// transformed ones.
    ///
    /// The transform waits for a call with enough tiles: a layer whose outputs
    /// are always small (the 7×7 ones at the end of a ResNet at batch 1) never
    /// pays its time or the 4× memory.
    final class WinogradWeights: Sendable {
        let filters: Int
        let channels: Int
        private let transformed: OnFirstUse<Winograd>

        /// nil when the layer is too narrow to gain (see `Winograd.init`).
        init?(weights: Tensor, filters: Int, channels: Int, kernel: GEMM.Microkernel) {
            guard Winograd.suits(filters: filters, channels: channels), weights.elementCount == filters * channels * 9 else { return nil }
            (self.filters, self.channels) = (filters, channels)
            transformed = OnFirstUse {
                weights.withFloatBuffer { buffer in
                    buffer.baseAddress.flatMap { Winograd(weights: $0, filters: filters, channels: channels, kernel: kernel) }
                }
            }
        }

        /// Whether a call has transformed the weights yet.
        var isTransformed: Bool { transformed.isMade }

        /// The transformed weights, made by the first call that asks.
        func winograd() -> Winograd? { transformed.value() }
    }

    struct Winograd: Sendable {
        /// Input and output channels.
        let channels: Int
        let filters: Int
        /// One packed `channels × filters` matrix (the GEMM's B) per point of the 6×6 domain.
        let transformed: [PackedPanels]
        let kernel: GEMM.Microkernel

        /// Fewer tiles than this go through im2col: with a handful of tiles the
        /// layer is bound by reading the weights, and Winograd's are 4× larger.
        static let minimumTiles = 12
        static let minimumChannels = 16

        /// Transforms `filters × channels × 3 × 3` weights; nil when the layer is too narrow to gain.
        init?(weights: UnsafePointer<Float>, filters: Int, channels: Int, kernel: GEMM.Microkernel) {
            guard Self.suits(filters: filters, channels: channels) else { return nil }
            self.channels = channels
            self.filters = filters
            self.kernel = kernel
            let plane = filters * channels
            // Transformed as u[filter][channel][ξ], 36 contiguous floats per filter, then packed per ξ through strides.
            let u = UnsafeMutablePointer<Float>.allocate(capacity: 36 * plane)
            defer { u.deallocate() }
            for pair in 0..<plane {
                let g = weights + pair * 9
                // G g Gᵀ: each column of the 3×3 filter through G, then each row of the 6×3 result.
                let c0 = Self.filterTransform((g[0], g[3], g[6]))
                let c1 = Self.filterTransform((g[1], g[4], g[7]))
                let c2 = Self.filterTransform((g[2], g[5], g[8]))
                let target = u + pair * 36
                func row(_ r: Int, _ x: (Float, Float, Float)) {
                    let base = target + r * 6
                    (base[0], base[1], base[2], base[3], base[4], base[5]) = Self.filterTransform(x)
                }
                row(0, (c0.0, c1.0, c2.0))
                row(1, (c0.1, c1.1, c2.1))
                row(2, (c0.2, c1.2, c2.2))
                row(3, (c0.3, c1.3, c2.3))
                row(4, (c0.4, c1.4, c2.4))
                row(5, (c0.5, c1.5, c2.5))
            }
            transformed = (0..<36).map { point in
                GEMM.packB(u + point, rowStride: 36, columnStride: channels * 36, k: channels, n: filters, kernel: kernel)
            }
        }

        /// Whether every value is finite. A transform mixes the 36 values of a
        /// patch, so a NaN or infinity would reach outputs whose window does not
        /// cover it; such inputs go through im2col, which keeps IEEE semantics.
        static func allFinite(_ values: UnsafeBufferPointer<Float>) -> Bool {
            guard var p = values.baseAddress else { return true }
            // x - x is 0 for a finite x and NaN for NaN or ±infinity.
            var sum = SIMD16<Float>.zero
            var left = values.count
            while left >= 16 {
                let x = UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
                sum += x - x
                p += 16
                left -= 16
            }
            for i in 0..<left { sum[i] += p[i] - p[i] }
            return sum.sum() == 0
        }

        /// Whether a layer is wide enough to gain. Filters go 8 at a time through the output transform.
        static func suits(filters: Int, channels: Int) -> Bool {
            filters >= minimumChannels && channels >= minimumChannels && filters % 8 == 0
        }

        /// `G · (g0, g1, g2)` for F(4, 3) with interpolation points 0, ±1, ±2 and ∞.
        static func filterTransform(_ g: (Float, Float, Float)) -> (Float, Float, Float, Float, Float, Float) {
            let (g0, g1, g2) = g
            let sixth: Float = 1.0 / 6, twelfth: Float = 1.0 / 12, twentyFourth: Float = 1.0 / 24
            let even = g0 * twentyFourth + g2 * sixth, odd = g1 * twelfth
            return (g0 * 0.25, -(g0 + g1 + g2) * sixth, -(g0 - g1 + g2) * sixth, even + odd, even - odd, g2)
        }

        /// Where a layer's tiles are: the image sizes, output sizes and the padding before the first row and column.
        struct Layout {
            let images, height, width, outputHeight, outputWidth, padTop, padLeft: Int
            var tileRows: Int { (outputHeight + 3) / 4 }
            var tileColumns: Int { (outputWidth + 3) / 4 }
            var tilesPerImage: Int { tileRows * tileColumns }
            var tiles: Int { images * tilesPerImage }
        }

        /// Floats of transformed input (36 × channels × tiles) one block of tiles may take: 2 MiB.
        static let blockBudget = 1 << 19

        /// Runs the layer: `input` is `[images, channels, height, width]`, `output` `[images, filters, outputHeight, outputWidth]`.
        ///
        /// Tiles go in blocks that keep the transformed input in cache. For each
        /// block, channels spread over the threads for the input transform, the
        /// 36 GEMMs for the products, and filters for the output transform.
        func run(
            _ input: UnsafePointer<Float>, _ layout: Layout, bias: UnsafePointer<Float>?, relu: Bool,
            into output: UnsafeMutablePointer<Float>, threads: Int
        ) {
            let tiles = layout.tiles
            let blockTiles = min(max(32, Self.blockBudget / (36 * max(channels, filters)) / 8 * 8), tiles)
            // Eight spare slots per row: a group of 8 tiles may run past the block's last tile.
            let stride = blockTiles + 8
            let v = ScratchMemory.allocate(floats: 36 * channels * stride)
            // The products, m[ξ][slot][filter].
            let m = ScratchMemory.allocate(floats: 36 * filters * stride)
            defer {
                ScratchMemory.release(v, floats: 36 * channels * stride)
                ScratchMemory.release(m, floats: 36 * filters * stride)
            }
            let (vs, ms, out) = (SendablePointer(v), SendablePointer(m), SendablePointer(output))
            let source = SendablePointer(UnsafeMutablePointer(mutating: input))
            let biasPointer = bias.map { SendablePointer(UnsafeMutablePointer(mutating: $0)) }
            let stripWidth = layout.tileColumns * 4 + 40
            var first = 0
            while first < tiles {
                let count = min(blockTiles, tiles - first)
                Parallel.forEachWorker(channels, threads: threads) { mine in
                    let strip = UnsafeMutablePointer<Float>.allocate(capacity: 6 * stripWidth)
                    defer { strip.deallocate() }
                    for channel in mine {
                        transformInput(source.pointer, layout, channel: channel, first: first, count: count, stride: stride,
                                       strip: strip, stripWidth: stripWidth, into: vs.pointer)
                    }
                }
                // Tiles are the GEMM's rows, so a short block wastes no work: the microkernel has a variant for every row count.
                Parallel.forEach(36, threads: threads) { point in
                    GEMM.multiply(.matrix(vs.pointer + point * channels * stride, rowStride: 1, columnStride: stride), .packed(transformed[point]),
                                  m: count, n: filters, k: channels, into: ms.pointer + point * stride * filters, ldc: filters, kernel: kernel)
                }
                Parallel.forEachWorker(count, threads: threads) { mine in
                    for slot in mine {
                        transformOutput(ms.pointer, layout, tile: first + slot, slot: slot, stride: stride, bias: biasPointer?.pointer, relu: relu, into: out.pointer)
                    }
                }
                first += count
            }
        }

        /// Calls `body(image, tileRow, firstColumn, slot, tiles)` for each run of tiles in one tile row among tiles `first..<first + count`.
        @inline(__always)
        private static func forEachRun(_ layout: Layout, first: Int, count: Int, _ body: (Int, Int, Int, Int, Int) -> Void) {
            var tile = first
            while tile < first + count {
                let (image, within) = tile.quotientAndRemainder(dividingBy: layout.tilesPerImage)
                let (row, column) = within.quotientAndRemainder(dividingBy: layout.tileColumns)
                let run = min(layout.tileColumns - column, first + count - tile)
                body(image, row, column, tile - first, run)
                tile += run
            }
        }

        /// `Bᵀ d B` for one channel of tiles `first..<first + count`, written to `v[ξ][channel][slot]`.
        ///
        /// The six input rows under a tile row are copied into `strip` with
        /// their zero padding, so every read is in bounds. Eight tiles go at a
        /// time: 32 floats loaded from a row of the strip and split by stride 4
        /// give the same tap of 8 neighbouring tiles.
        private func transformInput(
            _ input: UnsafePointer<Float>, _ layout: Layout, channel: Int, first: Int, count: Int, stride: Int,
            strip: UnsafeMutablePointer<Float>, stripWidth: Int, into v: UnsafeMutablePointer<Float>
        ) {
            let (h, w) = (layout.height, layout.width)
            let pointStride = channels &* stride
            Self.forEachRun(layout, first: first, count: count) { image, tileRow, tileColumn, slot, run in
                let plane = input + (image * channels + channel) * h * w
                strip.initialize(repeating: 0, count: 6 * stripWidth)
                for r in 0..<6 {
                    let y = tileRow * 4 - layout.padTop + r
                    guard y >= 0, y < h else { continue }
                    (strip + r * stripWidth + layout.padLeft).update(from: plane + y * w, count: w)
                }
                var group = 0
                while group < run {
                    let base = strip + (tileColumn + group) * 4
                    @inline(__always) func taps(_ r: Int) -> Row {
                        let a = UnsafeRawPointer(base + r &* stripWidth).loadUnaligned(as: SIMD32<Float>.self)
                        let b = UnsafeRawPointer(base + r &* stripWidth + 4).loadUnaligned(as: SIMD32<Float>.self)
                        let (ae, ao, be, bo) = (a.evenHalf, a.oddHalf, b.evenHalf, b.oddHalf)
                        return Self.inputTransform((ae.evenHalf, ao.evenHalf, ae.oddHalf, ao.oddHalf, be.evenHalf, bo.evenHalf))
                    }
                    // Rows first (d B, across the taps of each row), then columns: Bᵀ (d B).
                    let r0 = taps(0), r1 = taps(1), r2 = taps(2), r3 = taps(3), r4 = taps(4), r5 = taps(5)
                    let target = v + (channel &* stride &+ slot &+ group)
                    @inline(__always) func storeColumn(_ c: Int, _ x: Row) {
                        let b = Self.inputTransform(x)
                        let p = target + c &* pointStride
                        let step = 6 &* pointStride
                        Self.store(b.0, p)
                        Self.store(b.1, p + step)
                        Self.store(b.2, p + 2 &* step)
                        Self.store(b.3, p + 3 &* step)
                        Self.store(b.4, p + 4 &* step)
                        Self.store(b.5, p + 5 &* step)
                    }
                    storeColumn(0, (r0.0, r1.0, r2.0, r3.0, r4.0, r5.0))
                    storeColumn(1, (r0.1, r1.1, r2.1, r3.1, r4.1, r5.1))
                    storeColumn(2, (r0.2, r1.2, r2.2, r3.2, r4.2, r5.2))
                    storeColumn(3, (r0.3, r1.3, r2.3, r3.3, r4.3, r5.3))
                    storeColumn(4, (r0.4, r1.4, r2.4, r3.4, r4.4, r5.4))
                    storeColumn(5, (r0.5, r1.5, r2.5, r3.5, r4.5, r5.5))
                    group += 8
                }
            }
        }

        /// `Aᵀ m A` for one tile, 8 filters at a time, plus the bias and Relu, stored into the output planes.
        /// `m` holds the products as `m[ξ][slot][filter]`.
        private func transformOutput(
            _ m: UnsafePointer<Float>, _ layout: Layout, tile: Int, slot: Int, stride: Int,
            bias: UnsafePointer<Float>?, relu: Bool, into output: UnsafeMutablePointer<Float>
        ) {
            let (oh, ow) = (layout.outputHeight, layout.outputWidth)
            let (image, within) = tile.quotientAndRemainder(dividingBy: layout.tilesPerImage)
            let (tileRow, tileColumn) = within.quotientAndRemainder(dividingBy: layout.tileColumns)
            let rows = min(4, oh - tileRow * 4), columns = min(4, ow - tileColumn * 4)
            let plane = oh &* ow
            let pointStride = stride &* filters
            var filter = 0
            while filter < filters {
                let p = m + (slot &* filters &+ filter)
                // Columns first, t = Aᵀ m, then rows: y = t A.
                let c0 = Self.outputTransform(Self.column(p, 0, pointStride))
                let c1 = Self.outputTransform(Self.column(p, 1, pointStride))
                let c2 = Self.outputTransform(Self.column(p, 2, pointStride))
                let c3 = Self.outputTransform(Self.column(p, 3, pointStride))
                let c4 = Self.outputTransform(Self.column(p, 4, pointStride))
                let c5 = Self.outputTransform(Self.column(p, 5, pointStride))
                let b = bias.map { Self.load($0 + filter) } ?? .zero
                let origin = output + (((image &* filters &+ filter) &* oh &+ tileRow &* 4) &* ow &+ tileColumn &* 4)
                @inline(__always) func storeRow(_ r: Int, _ x: Row) {
                    guard r < rows else { return }
                    let a = Self.outputTransform(x)
                    var y = (a.0 + b, a.1 + b, a.2 + b, a.3 + b)
                    if relu {
                        y = (y.0.replacing(with: 0, where: y.0 .< 0), y.1.replacing(with: 0, where: y.1 .< 0),
                             y.2.replacing(with: 0, where: y.2 .< 0), y.3.replacing(with: 0, where: y.3 .< 0))
                    }
                    let line = origin + r &* ow
                    for lane in 0..<8 {
                        let q = line + lane &* plane
                        q[0] = y.0[lane]
                        if columns > 1 { q[1] = y.1[lane] }
                        if columns > 2 { q[2] = y.2[lane] }
                        if columns > 3 { q[3] = y.3[lane] }
                    }
                }
                storeRow(0, (c0.0, c1.0, c2.0, c3.0, c4.0, c5.0))
                storeRow(1, (c0.1, c1.1, c2.1, c3.1, c4.1, c5.1))
                storeRow(2, (c0.2, c1.2, c2.2, c3.2, c4.2, c5.2))
                storeRow(3, (c0.3, c1.3, c2.3, c3.3, c4.3, c5.3))
                filter += 8
            }
        }

        typealias Row = (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)

        /// Column `c` of a 6×6 block of 8-tile vectors whose element `[r][c]` is at `p + (6r + c) · stride`.
        @inline(__always)
        static func column(_ p: UnsafePointer<Float>, _ c: Int, _ stride: Int) -> Row {
            (load(p + c * stride), load(p + (6 + c) * stride), load(p + (12 + c) * stride),
             load(p + (18 + c) * stride), load(p + (24 + c) * stride), load(p + (30 + c) * stride))
        }

        @inline(__always)
        static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
            UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
        }

        @inline(__always)
        static func store(_ value: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
            UnsafeMutableRawPointer(p).storeBytes(of: value, as: SIMD8<Float>.self)
        }

        /// `Bᵀ x` for F(4, 3).
        @inline(__always)
        static func inputTransform(_ x: Row) -> Row {
            let (x0, x1, x2, x3, x4, x5) = x
            return (
                4 * x0 - 5 * x2 + x4,
                x3 + x4 - 4 * (x1 + x2),
                x4 - x3 + 4 * (x1 - x2),
                x4 - x2 + 2 * (x3 - x1),
                x4 - x2 + 2 * (x1 - x3),
                4 * x1 - 5 * x3 + x5
            )
        }

        /// `Aᵀ x` for F(4, 3).
        @inline(__always)
        static func outputTransform(_ x: Row) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
            let (x0, x1, x2, x3, x4, x5) = x
            let sum12 = x1 + x2, difference12 = x1 - x2, sum34 = x3 + x4, difference34 = x3 - x4
            return (
                x0 + sum12 + sum34,
                difference12 + 2 * difference34,
                sum12 + 4 * sum34,
                difference12 + 8 * difference34 + x5
            )
        }
    }
}
