import Foundation
import Synchronization
import WardenTensor

/// Scratch buffers for kernels (packed GEMM panels, im2col blocks, Winograd
/// tiles), kept for the next call instead of going back to the system.
///
/// A buffer of a few hundred KiB or more comes from `mmap` and goes back with
/// `munmap`, so every inference paid a page fault per 4 KiB it touched: about
/// 5 % of a ResNet-18 run. Freed buffers wait here, by power-of-two size class,
/// and the next call of the same shape takes one back already mapped. Small
/// buffers go straight to `malloc`, which reuses them well; buffers past
/// `largest`, and any beyond `capacity` in total, are freed as before.
final class ScratchMemory: Sendable {
    /// The cache the kernels share.
    static let shared = ScratchMemory()

    /// Buffers below this many bytes are not cached.
    static let smallest = 1 << 16
    /// Buffers above this many bytes are not cached.
    static let largest = 1 << 26
    /// The most bytes kept for reuse.
    static let capacity = 1 << 27
    static let alignment = 64

    private struct Cache {
        /// Addresses of free buffers, by size class (log2 of their byte count).
        var free: [Int: [UInt]] = [:]
        var bytes = 0
    }
    private let cache = Mutex(Cache())

    init() {}

    /// The byte count a request of `bytes` is rounded up to.
    static func sizeClass(_ bytes: Int) -> Int {
        bytes <= smallest ? bytes : 1 << (Int.bitWidth - (bytes - 1).leadingZeroBitCount)
    }

    /// Uninitialized memory for `count` floats, 64-byte aligned, from the shared cache. Give it back with `release(_:floats:)`.
    static func allocate(floats count: Int) -> UnsafeMutablePointer<Float> { shared.allocate(floats: count) }

    /// Returns memory from `allocate(floats: count)` with the same `count` to the shared cache.
    static func release(_ pointer: UnsafeMutablePointer<Float>, floats count: Int) { shared.release(pointer, floats: count) }

    /// Uninitialized memory for `count` floats, 64-byte aligned. Give it back with `release(_:floats:)`.
    func allocate(floats count: Int) -> UnsafeMutablePointer<Float> {
        let (smallest, largest, alignment) = (Self.smallest, Self.largest, Self.alignment)
        let bytes = Self.sizeClass(max(1, count) * MemoryLayout<Float>.stride)
        if bytes > smallest, bytes <= largest {
            let reused: UInt? = cache.withLock { cache in
                guard let address = cache.free[bytes]?.popLast() else { return nil }
                cache.bytes -= bytes
                return address
            }
            if let reused, let pointer = UnsafeMutableRawPointer(bitPattern: reused) {
                return pointer.bindMemory(to: Float.self, capacity: bytes / MemoryLayout<Float>.stride)
            }
        }
        return UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: alignment)
            .bindMemory(to: Float.self, capacity: bytes / MemoryLayout<Float>.stride)
    }

    /// Returns memory from `allocate(floats: count)` with the same `count`.
    func release(_ pointer: UnsafeMutablePointer<Float>, floats count: Int) {
        let (smallest, largest, capacity) = (Self.smallest, Self.largest, Self.capacity)
        let bytes = Self.sizeClass(max(1, count) * MemoryLayout<Float>.stride)
        if bytes > smallest, bytes <= largest {
            let kept = cache.withLock { cache in
                guard cache.bytes + bytes <= capacity else { return false }
                cache.free[bytes, default: []].append(UInt(bitPattern: pointer))
                cache.bytes += bytes
                return true
            }
            if kept { return }
        }
        UnsafeMutableRawPointer(pointer).deallocate()
    }

    /// Calls `body` with scratch memory for `count` floats, released when it returns.
    static func withFloats<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        let pointer = allocate(floats: count)
        defer { release(pointer, floats: count) }
        return try body(pointer)
    }
}
