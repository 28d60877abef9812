import CWardenKernels
import Foundation
import Synchronization
import WardenTensor

/// Threads that live for the whole process and run the parts of one parallel
/// loop at a time, with the calling thread taking parts too.
///
/// A worker that finishes a loop spins for a short while (`spinTime`) before it
/// sleeps, so the next loop of the same inference (the next layer, microseconds
/// later) starts without a wake-up. `DispatchQueue.concurrentPerform` wakes
/// sleeping threads for every loop, which costs more than a batch-1 layer
/// takes; see docs/performance.md.
///
/// One loop holds the pool at a time. A loop that finds it taken, for example
/// a second inference running concurrently on a server whose cores are
/// already busy, or a loop nested inside a part, runs on its own thread.
final class WorkerPool: Sendable {
    /// One worker for every core but the caller's.
    static let shared = WorkerPool(workers: Parallel.activeCores - 1)

    /// How long an idle worker polls for the next loop before it sleeps. While
    /// it polls it yields the core every few microseconds, so a thread with
    /// real work (a server's event loop) runs first.
    static let spinTime: UInt64 = 2_000_000  // ns

    let workers: Int
    private let busy = Atomic<Bool>(false)
    /// `generation << 32 | parts << 16 | next part to claim`, in one word so a
    /// claim can never mix one loop's counter with another loop's size.
    private let ticket = Atomic<UInt64>(0)
    private let finished = Atomic<Int>(0)
    /// The running loop's `Loop`, as an address (a pointer is not `Sendable`).
    private let job = Atomic<UInt>(0)
    private let sleepers = Atomic<Int>(0)
    private let wake = NSCondition()

    /// The most parts one loop can have.
    static let maximumParts = 0xFFFF

    init(workers: Int) {
        self.workers = max(0, workers)
        for index in 0..<self.workers {
            let thread = Thread { [self] in self.serve() }
            thread.name = "warden-compute-\(index + 1)"
            thread.qualityOfService = .userInitiated
            thread.start()
        }
    }

    /// Calls `body(part)` for every part in `0..<parts` on the pool's workers
    /// and the calling thread, and returns when all have returned. Returns
    /// false, having run nothing, when the pool has no workers or another loop
    /// holds it; the caller then runs the parts itself.
    func run(parts: Int, _ body: (Int) -> Void) -> Bool {
        guard workers > 0, parts > 1, parts <= Self.maximumParts,
              busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
        else { return false }
        defer { busy.store(false, ordering: .releasing) }
        withoutActuallyEscaping(body) { body in
            let loop = Loop(body: body)
            withExtendedLifetime(loop) {
                finished.store(0, ordering: .relaxed)
                job.store(UInt(bitPattern: Unmanaged.passUnretained(loop).toOpaque()), ordering: .releasing)
                let generation = ((ticket.load(ordering: .relaxed) >> 32) &+ 1) & 0xFFFF_FFFF
                ticket.store(generation << 32 | UInt64(parts) << 16, ordering: .sequentiallyConsistent)
                if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                    wake.lock()
                    wake.broadcast()
                    wake.unlock()
                }
                claimParts(of: generation)
                var spins = 0
                while finished.load(ordering: .acquiring) < parts {
                    spins += 1
                    if spins < 4096 { warden_cpu_relax() } else { sched_yield() }
                }
            }
        }
        return true
    }

    /// Claims and runs parts of loop `generation` until none is left to claim.
    private func claimParts(of generation: UInt64) {
        var current = ticket.load(ordering: .acquiring)
        while current >> 32 == generation {
            let parts = (current >> 16) & 0xFFFF, next = current & 0xFFFF
            guard next < parts else { return }
            let (claimed, seen) = ticket.compareExchange(
                expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            guard claimed else {
                current = seen
                continue
            }
            // The loop cannot finish, and its body cannot go away, before this part is done.
            guard let pointer = UnsafeRawPointer(bitPattern: job.load(ordering: .acquiring)) else { return }
            Unmanaged<Loop>.fromOpaque(pointer).takeUnretainedValue().body(Int(next))
            finished.add(1, ordering: .releasing)
            current = current + 1
        }
    }

    /// A worker's life: wait for a loop newer than the last one it saw, help with it, repeat.
    private func serve() {
        var seen: UInt64 = 0
        while true {
            var generation = ticket.load(ordering: .acquiring) >> 32
            var spinStart = DispatchTime.now().uptimeNanoseconds
            var spins = 0
            while generation == seen {
                spins += 1
                if spins & 63 != 0 {
                    warden_cpu_relax()
                } else if DispatchTime.now().uptimeNanoseconds - spinStart < Self.spinTime {
                    // Let a runnable thread (a server's event loop) have this core while we wait.
                    sched_yield()
                } else {
                    wake.lock()
                    sleepers.add(1, ordering: .sequentiallyConsistent)
                    if ticket.load(ordering: .sequentiallyConsistent) >> 32 == seen { wake.wait() }
                    sleepers.subtract(1, ordering: .sequentiallyConsistent)
                    wake.unlock()
                    spinStart = DispatchTime.now().uptimeNanoseconds
                }
                generation = ticket.load(ordering: .acquiring) >> 32
            }
            seen = generation
            claimParts(of: generation)
        }
    }

    /// The body of the loop in progress.
    ///
    /// `@unchecked Sendable`: `run` returns only after every part is done, so
    /// the body never outlives the call, and every caller gives each part its
    /// own region of memory to write (GEMM tiles, Conv blocks, element-wise
    /// chunks) and reads shared inputs only.
    private final class Loop: @unchecked Sendable {
        let body: (Int) -> Void
        init(body: @escaping (Int) -> Void) { self.body = body }
    }
}
