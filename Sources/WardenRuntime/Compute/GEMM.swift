import CWardenKernels
import Foundation
import WardenTensor

/// Single-precision matrix multiply: packed panels, cache blocking over K and
/// M, a register-tiled microkernel and optional threads over M or N.
///
/// `C[m×n] = load·C + alpha·A[m×k]·B[k×n]`, then a per-row or per-column bias
/// and a Relu when the epilogue asks for them. A and B are read through
/// strides, so a transposed operand costs nothing extra: packing reads it in
/// whatever order it is stored.
///
/// ```swift
/// GEMM.multiply(.matrix(a, rowStride: k), .matrix(b, rowStride: n), m: m, n: n, k: k, into: c, ldc: n)
/// ```
enum GEMM {
    /// Cache blocking: a `kc`-deep B panel (kc × nr floats) stays in L1 while
    /// an A block of `mc` rows (mc × kc floats) streams from L2.
    static let kc = 256
    static func mc(_ kernel: Microkernel) -> Int { kernel.mr * 16 }

    /// Below this many multiply-adds a call stays on the calling thread: waking
    /// a worker costs more than it saves.
    static let parallelThreshold = 1 << 16

    /// A valid address for an empty operand (k = 0): nothing is read through it.
    static var placeholder: UnsafePointer<Float> { UnsafePointer(placeholderStorage.pointer) }
    private static let placeholderStorage = SendablePointer(UnsafeMutablePointer<Float>.allocate(capacity: 16))

    /// What happens to C when a tile is stored (see `WardenTileEpilogue`).
    struct Epilogue {
        var alpha: Float = 1
        /// Add to what C holds already instead of overwriting it.
        var accumulate = false
        var relu = false
        /// One value per row of C (a Conv's bias).
        var rowBias: UnsafePointer<Float>? = nil
        /// One value per column of C (a Gemm's bias vector).
        var columnBias: UnsafePointer<Float>? = nil
    }

    /// One side of the product: a strided view of the caller's memory, or panels packed ahead of time.
    enum Operand {
        /// Element (row, column) at `base[row * rowStride + column * columnStride]`.
        case matrix(UnsafePointer<Float>, rowStride: Int, columnStride: Int)
        case packed(PackedPanels)

        static func matrix(_ base: UnsafePointer<Float>, rowStride: Int) -> Operand {
            .matrix(base, rowStride: rowStride, columnStride: 1)
        }
    }

    /// `C = A·B` (with the epilogue), on up to `threads` threads.
    ///
    /// A packed A must come from `packA` and a packed B from `packB` with the same `kernel`.
    static func multiply(
        _ a: Operand, _ b: Operand, m: Int, n: Int, k: Int,
        into c: UnsafeMutablePointer<Float>, ldc: Int,
        epilogue: Epilogue = Epilogue(), threads: Int = 1, kernel: Microkernel = .best
    ) {
        guard m > 0, n > 0 else { return }
        let mPanels = (m + kernel.mr - 1) / kernel.mr
        let nPanels = (n + kernel.nr - 1) / kernel.nr
        let work = m * n * max(k, 1)
        let parts = threads <= 1 || work < parallelThreshold ? 1 : min(threads, max(nPanels, mPanels))
        // A row-major A (activations, Gemm without transA) is read in place by the tile: no packing.
        let inPlace: (base: UnsafePointer<Float>, lda: Int)? =
            if case .matrix(let base, let rowStride, 1) = a, k > 0 { (base, rowStride) } else { nil }
        // Split the wider side; the other operand is packed once and shared.
        let splitN = nPanels >= mPanels || nPanels >= parts * 2
        let sharedA: PackedPanels? = parts > 1 && splitN && inPlace == nil ? a.panels(kernel, side: .a, count: m, depth: k) : nil
        let sharedB: PackedPanels? = parts > 1 && !splitN ? b.panels(kernel, side: .b, count: n, depth: k) : nil
        let output = SendablePointer(c)
        let source = inPlace.map { SendablePointer(UnsafeMutablePointer(mutating: $0.base)) }
        Parallel.forEach(parts, threads: parts) { part in
            let c = output.pointer
            /// A from `row` on: read in place, or packed panels starting at that row.
            func aSource(fromPanel first: Int, to end: Int) -> ASource {
                if let source, let inPlace { return .rowMajor(source.pointer + first * kernel.mr * inPlace.lda, lda: inPlace.lda) }
                if let sharedA { return .packed(sharedA, first: first) }
                let pa = a.panels(kernel, side: .a, count: m, depth: k, from: first, to: end)
                return .packed(pa.panels, first: pa.offset)
            }
            if parts == 1 {
                let pb = b.panels(kernel, side: .b, count: n, depth: k)
                run(kernel, aSource(fromPanel: 0, to: mPanels), pb, 0, m: m, n: n, k: k, c: c, ldc: ldc, epilogue: epilogue)
            } else if splitN {
                let (first, end) = Parallel.range(part, of: parts, count: nPanels)
                guard first < end else { return }
                let columns = first * kernel.nr
                let width = min(n, end * kernel.nr) - columns
                let pb = b.panels(kernel, side: .b, count: n, depth: k, from: first, to: end)
                var local = epilogue
                local.columnBias = epilogue.columnBias.map { $0 + columns }
                run(kernel, aSource(fromPanel: 0, to: mPanels), pb.panels, pb.offset, m: m, n: width, k: k, c: c + columns, ldc: ldc, epilogue: local)
            } else {
                let (first, end) = Parallel.range(part, of: parts, count: mPanels)
                guard first < end, let pb = sharedB else { return }
                let rows = first * kernel.mr
                let height = min(m, end * kernel.mr) - rows
                var local = epilogue
                local.rowBias = epilogue.rowBias.map { $0 + rows }
                run(kernel, aSource(fromPanel: first, to: end), pb, 0, m: height, n: n, k: k, c: c + rows * ldc, ldc: ldc, epilogue: local)
            }
        }
    }

    /// Where the tiles find A.
    enum ASource {
        /// Packed panels; `first` is the index of the region's first panel.
        case packed(PackedPanels, first: Int)
        /// A row-major matrix read in place, from the region's first row.
        case rowMajor(UnsafePointer<Float>, lda: Int)
    }

    /// The blocked loops over one region of C, on the calling thread.
    /// `bFirst` is the panel index of the region's first column in `b`.
    static func run(
        _ kernel: Microkernel, _ a: ASource, _ b: PackedPanels, _ bFirst: Int,
        m: Int, n: Int, k: Int, c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: Epilogue
    ) {
        let mr = kernel.mr, nr = kernel.nr
        let mc = mc(kernel)
        var tile = WardenTileEpilogue(alpha: epilogue.alpha, load: 0, last: 0, relu: epilogue.relu ? 1 : 0, row_bias: nil, col_bias: nil)
        var depth = 0
        repeat {
            let kc = min(Self.kc, k - depth)
            tile.load = epilogue.accumulate || depth > 0 ? 1 : 0
            tile.last = depth + kc >= k ? 1 : 0
            var rowBlock = 0
            while rowBlock < m {
                let blockRows = min(mc, m - rowBlock)
                var column = 0
                while column < n {
                    let columns = min(nr, n - column)
                    let bPanel = b.base + (bFirst + column / nr) * b.depth * nr + depth * nr
                    tile.col_bias = epilogue.columnBias.map { $0 + column }
                    var row = rowBlock
                    while row < rowBlock + blockRows {
                        let rows = min(mr, m - row)
                        tile.row_bias = epilogue.rowBias.map { $0 + row }
                        let target = c + row * ldc + column
                        switch a {
                        case .packed(let panels, let first):
                            let aPanel = panels.base + (first + row / mr) * panels.depth * mr + depth * mr
                            kernel.tile(kc, aPanel, bPanel, target, ldc, rows, columns, &tile)
                        case .rowMajor(let base, let lda):
                            kernel.tile(kc, rowMajor: base + row * lda + depth, lda: lda, bPanel, target, ldc, rows, columns, &tile)
                        }
                        row += mr
                    }
                    column += nr
                }
                rowBlock += blockRows
            }
            depth += kc
        } while depth < k
    }
}

extension GEMM {
    enum Side { case a, b }

    /// Packs a strided A (`count` rows × `depth`) into row panels for `kernel`.
    static func packA(_ base: UnsafePointer<Float>, rowStride: Int, columnStride: Int, m: Int, k: Int, kernel: Microkernel = .best) -> PackedPanels {
        PackedPanels(base, outerStride: rowStride, depthStride: columnStride, count: m, depth: k, width: kernel.mr, from: 0, to: (m + kernel.mr - 1) / kernel.mr)
    }

    /// Packs a strided B (`depth` rows × `count` columns) into column panels for `kernel`.
    static func packB(_ base: UnsafePointer<Float>, rowStride: Int, columnStride: Int, k: Int, n: Int, kernel: Microkernel = .best) -> PackedPanels {
        PackedPanels(base, outerStride: columnStride, depthStride: rowStride, count: n, depth: k, width: kernel.nr, from: 0, to: (n + kernel.nr - 1) / kernel.nr)
    }
}

extension GEMM.Operand {
    /// All panels of this operand, packing it unless it already is.
    func panels(_ kernel: GEMM.Microkernel, side: GEMM.Side, count: Int, depth: Int) -> PackedPanels {
        panels(kernel, side: side, count: count, depth: depth, from: 0, to: (count + width(kernel, side) - 1) / width(kernel, side)).panels
    }

    /// Panels `first..<end`, and the index in the result of panel `first`.
    func panels(_ kernel: GEMM.Microkernel, side: GEMM.Side, count: Int, depth: Int, from first: Int, to end: Int) -> (panels: PackedPanels, offset: Int) {
        switch self {
        case .packed(let panels):
            return (panels, first)
        case .matrix(let base, let rowStride, let columnStride):
            let (outer, inner) = side == .a ? (rowStride, columnStride) : (columnStride, rowStride)
            return (PackedPanels(base, outerStride: outer, depthStride: inner, count: count, depth: depth, width: width(kernel, side), from: first, to: end, scratch: true), 0)
        }
    }

    func width(_ kernel: GEMM.Microkernel, _ side: GEMM.Side) -> Int { side == .a ? kernel.mr : kernel.nr }
}

/// Panels of `width` rows (of A) or columns (of B), each `depth` deep and
/// stored `[depth][width]`, zero-padded past the matrix edge; 64-byte aligned.
///
/// `@unchecked Sendable`: the buffer is written only in `init` and read-only
/// afterwards, so sharing it between threads and calls is safe.
final class PackedPanels: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
    let depth: Int
    let width: Int
    let panelCount: Int
    /// The buffer came from `ScratchMemory` and goes back there.
    let scratch: Bool
    private let floats: Int

    /// Packs panels `first..<end` of the matrix whose element (outer, p) is at `source[outer * outerStride + p * depthStride]`.
    /// `scratch` takes the buffer from `ScratchMemory`, for panels packed during one call rather than kept with a model.
    init(_ source: UnsafePointer<Float>, outerStride: Int, depthStride: Int, count: Int, depth: Int, width: Int, from first: Int, to end: Int, scratch: Bool = false) {
        self.depth = depth
        self.width = width
        self.scratch = scratch
        panelCount = max(0, end - first)
        let floats = max(1, panelCount * depth * width)
        self.floats = floats
        base = scratch
            ? ScratchMemory.allocate(floats: floats)
            : UnsafeMutableRawPointer.allocate(byteCount: floats * MemoryLayout<Float>.size, alignment: 64).bindMemory(to: Float.self, capacity: floats)
        for panel in 0..<panelCount {
            let start = (first + panel) * width
            let live = min(width, count - start)
            let destination = base + panel * depth * width
            if live < width || live <= 0 { destination.initialize(repeating: 0, count: depth * width) }
            guard live > 0 else { continue }
            let origin = source + start * outerStride
            if outerStride == 1 {
                for p in 0..<depth { (destination + p * width).update(from: origin + p * depthStride, count: live) }
            } else if depthStride == 1 {
                for o in 0..<live {
                    let row = origin + o * outerStride
                    for p in 0..<depth { destination[p * width + o] = row[p] }
                }
            } else {
                for p in 0..<depth {
                    for o in 0..<live { destination[p * width + o] = origin[o * outerStride + p * depthStride] }
                }
            }
        }
    }

    deinit {
        if scratch { ScratchMemory.release(base, floats: floats) } else { base.deallocate() }
    }
}

/// A pointer handed to worker threads that write disjoint parts of it.
///
/// `@unchecked Sendable`: every use splits the pointee into regions that one
/// worker alone writes, and the caller waits for all workers before reading.
struct SendablePointer<Pointee>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Pointee>
    init(_ pointer: UnsafeMutablePointer<Pointee>) { self.pointer = pointer }
}
