import CWardenKernels
import Foundation
import WardenTensor

extension GEMM {
    /// The register tile that computes one `mr × nr` block of C.
    ///
    /// AVX-512 and AVX2 + FMA tiles are C (`CWardenKernels`), chosen after a
    /// CPU check; `portable` is Swift SIMD for any other CPU. Swift's SIMD
    /// types compile to baseline SSE2 with no FMA unless the whole module is
    /// built for a newer CPU, so they reach about a quarter of the AVX-512
    /// tile's speed (docs/performance.md).
    enum Microkernel: String, Sendable, CaseIterable {
        case avx512
        case avx2
        case portable

        /// The fastest tile this CPU runs; `WARDEN_GEMM_KERNEL=avx2|portable` picks a slower one (for tests and benchmarks).
        static let best: Microkernel = {
            let available: [Microkernel] = supported
            if let name = ProcessInfo.processInfo.environment["WARDEN_GEMM_KERNEL"], let chosen = Microkernel(rawValue: name), available.contains(chosen) {
                return chosen
            }
            return available[0]
        }()

        /// Every tile this CPU runs, fastest first.
        static let supported: [Microkernel] = {
            switch warden_sgemm_isa() {
            case 2: [.avx512, .avx2, .portable]
            case 1: [.avx2, .portable]
            default: [.portable]
            }
        }()

        var mr: Int {
            switch self {
            case .avx512: Int(warden_sgemm_avx512_tile().mr)
            case .avx2: Int(warden_sgemm_avx2_tile().mr)
            case .portable: 4
            }
        }

        var nr: Int {
            switch self {
            case .avx512: Int(warden_sgemm_avx512_tile().nr)
            case .avx2: Int(warden_sgemm_avx2_tile().nr)
            case .portable: 8
            }
        }

        /// One tile: `a` and `b` point at the `kc`-deep slices of an A and a B
        /// panel; `rows` × `columns` (at most `mr` × `nr`) of it land in `c`.
        @inline(__always)
        func tile(
            _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
            _ rows: Int, _ columns: Int, _ epilogue: inout WardenTileEpilogue
        ) {
            switch self {
            case .avx512: warden_sgemm_avx512(kc, a, b, c, ldc, rows, columns, &epilogue)
            case .avx2: warden_sgemm_avx2(kc, a, b, c, ldc, rows, columns, &epilogue)
            case .portable: GEMM.portableTile(kc, a, rowStride: 1, depthStride: 4, b, c, ldc, rows, columns, epilogue)
            }
        }

        /// One tile reading A in place: `a` points at row 0, depth 0 of a
        /// row-major matrix with rows `lda` floats apart, so activations need no packing.
        @inline(__always)
        func tile(
            _ kc: Int, rowMajor a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
            _ rows: Int, _ columns: Int, _ epilogue: inout WardenTileEpilogue
        ) {
            switch self {
            case .avx512: warden_sgemm_avx512_rows_a(kc, a, lda, b, c, ldc, rows, columns, &epilogue)
            case .avx2: warden_sgemm_avx2_rows_a(kc, a, lda, b, c, ldc, rows, columns, &epilogue)
            case .portable: GEMM.portableTile(kc, a, rowStride: lda, depthStride: 1, b, c, ldc, rows, columns, epilogue)
            }
        }
    }

    /// A 4 × 8 tile in Swift SIMD; the same contract as `warden_sgemm_avx512`, with A's
    /// element (i, p) at `a[i * rowStride + p * depthStride]`. Rows past `rows` are not read.
    static func portableTile(
        _ kc: Int, _ a: UnsafePointer<Float>, rowStride: Int, depthStride: Int,
        _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
        _ rows: Int, _ columns: Int, _ epilogue: WardenTileEpilogue
    ) {
        var c0 = SIMD8<Float>(), c1 = SIMD8<Float>(), c2 = SIMD8<Float>(), c3 = SIMD8<Float>()
        let bRaw = UnsafeRawPointer(b)
        func element(_ i: Int, _ p: Int) -> Float { i < rows ? a[i * rowStride + p * depthStride] : 0 }
        for p in 0..<kc {
            let vector = bRaw.loadUnaligned(fromByteOffset: p * 32, as: SIMD8<Float>.self)
            // Multiply then add: `addingProduct` would become a libm `fmaf` call per lane on baseline x86-64.
            c0 += vector * element(0, p)
            c1 += vector * element(1, p)
            c2 += vector * element(2, p)
            c3 += vector * element(3, p)
        }
        for i in 0..<rows {
            let row = c + i * ldc
            var values = i == 0 ? c0 : i == 1 ? c1 : i == 2 ? c2 : c3
            if epilogue.alpha != 1 { values *= epilogue.alpha }
            for j in 0..<columns {
                var value = values[j]
                if epilogue.load != 0 { value += row[j] }
                if epilogue.last != 0 {
                    if let bias = epilogue.row_bias { value += bias[i] }
                    if let bias = epilogue.col_bias { value += bias[j] }
                    if epilogue.relu != 0, !(value > 0), !value.isNaN { value = 0 }
                }
                row[j] = value
            }
        }
    }
}
