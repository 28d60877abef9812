import Foundation
import Synchronization
import Testing
@testable import WardenONNX
@testable import WardenRuntime
@testable import WardenTensor

/// The worker pool behind intra-op threads: every part runs exactly once,
/// whoever runs it, with loops from many threads at once and loops inside loops.
@Suite struct WorkerPoolTests {
    /// Runs `forEach` over `count` items and returns how many times each item ran.
    static func visits(_ count: Int, threads: Int) -> [Int] {
        let counts = Mutex([Int](repeating: 0, count: count))
        Parallel.forEach(count, threads: threads) { item in
            counts.withLock { $0[item] += 1 }
        }
        return counts.withLock { $0 }
    }

    @Test func everyItemRunsOnce() {
        for (count, threads) in [(0, 2), (1, 2), (2, 2), (7, 3), (1000, 2), (1000, 8), (5, 64)] {
            #expect(Self.visits(count, threads: threads) == Array(repeating: 1, count: count), "\(count) items on \(threads) threads")
        }
    }

    /// A pool with its own workers: parts are handed out and the call waits for all of them.
    @Test func aPrivatePoolRunsEveryPart() {
        let pool = WorkerPool(workers: 3)
        let parts = Mutex([Int](repeating: 0, count: 40))
        for _ in 0..<200 {
            let ran = pool.run(parts: 40) { part in parts.withLock { $0[part] += 1 } }
            #expect(ran)
        }
        #expect(parts.withLock { $0 } == Array(repeating: 200, count: 40))
        #expect(!pool.run(parts: 1) { _ in }, "one part is left to the caller")
        #expect(!WorkerPool(workers: 0).run(parts: 4) { _ in }, "a pool without workers runs nothing")
    }

    /// Many threads start loops at once; the ones that find the pool taken run on their own thread.
    @Test func concurrentLoopsEachSeeTheirOwnItems() async {
        await withTaskGroup(of: Bool.self) { group in
            for task in 0..<8 {
                group.addTask {
                    (0..<100).allSatisfy { round in
                        let count = 50 + (task * 7 + round) % 60
                        return Self.visits(count, threads: 2) == Array(repeating: 1, count: count)
                    }
                }
            }
            for await correct in group { #expect(correct) }
        }
    }

    /// A loop inside a part runs on that part's thread instead of waiting for the busy pool.
    @Test func nestedLoopsDoNotDeadlock() {
        let total = Atomic<Int>(0)
        Parallel.forEach(4, threads: 2) { _ in
            Parallel.forEach(10, threads: 2) { item in total.add(item, ordering: .relaxed) }
        }
        #expect(total.load(ordering: .relaxed) == 4 * 45)
    }
}

/// Scratch buffers come back mapped for the next call of the same size class.
@Suite struct ScratchMemoryTests {
    @Test func aReleasedBufferIsReusedForTheSameSizeClass() {
        let scratch = ScratchMemory()
        let count = 300_000  // 1.2 MB: above the cached minimum, rounded up to 2 MiB
        #expect(ScratchMemory.sizeClass(count * 4) == 1 << 21)
        let first = scratch.allocate(floats: count)
        first[count - 1] = 42
        scratch.release(first, floats: count)
        let second = scratch.allocate(floats: count + 1000)
        #expect(second == first, "the same size class takes the cached buffer back")
        let third = scratch.allocate(floats: count)
        #expect(third != second, "a buffer in use is not handed out twice")
        scratch.release(second, floats: count + 1000)
        scratch.release(third, floats: count)
        #expect(UInt(bitPattern: ScratchMemory.allocate(floats: 16)) % UInt(ScratchMemory.alignment) == 0)
    }

    @Test func smallAndHugeBuffersAreNotCached() {
        #expect(ScratchMemory.sizeClass(1000) == 1000, "small buffers keep their size and go to malloc")
        let huge = ScratchMemory.largest / 4 + 1
        let pointer = ScratchMemory.allocate(floats: huge)
        pointer[huge - 1] = 1
        ScratchMemory.release(pointer, floats: huge)  // freed, not kept: nothing to assert but no crash
        let values = ScratchMemory.withFloats(100_000) { buffer -> Float in
            for i in 0..<100_000 { buffer[i] = Float(i) }
            return buffer[99_999]
        }
        #expect(values == 99_999)
    }
}
