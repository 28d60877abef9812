import Foundation
import WardenTensor

/// Intra-op parallelism: a loop over work items spread over a few threads.
///
/// The parts run on `WorkerPool.shared`, whose threads stay alive and spin
/// briefly between loops, with the calling thread taking parts too. When the
/// pool is taken (another inference is using it, or this loop is nested in a
/// part of another) the loop runs on the calling thread: on a server the other
/// cores are busy with other requests then anyway. With one thread (or one
/// item) the loop runs inline and nothing is dispatched.
enum Parallel {
    /// The default thread count: the cores this process may use.
    static var activeCores: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Calls `body` for every item in `0..<count`, on up to `threads` threads.
    /// Part `w` of `parts` takes items `w, w + parts, …`, so the split is fixed and the results do not depend on timing.
    static func forEach(_ count: Int, threads: Int, _ body: (Int) -> Void) {
        forEachWorker(count, threads: threads) { items in
            for item in items { body(item) }
        }
    }

    /// Like `forEach`, but hands each part its whole share of items at once,
    /// so it can set up scratch memory once for all of them.
    static func forEachWorker(_ count: Int, threads: Int, _ body: (StrideTo<Int>) -> Void) {
        let parts = min(threads, count, WorkerPool.maximumParts)
        if parts <= 1 || !WorkerPool.shared.run(parts: parts, { part in body(stride(from: part, to: count, by: parts)) }) {
            body(stride(from: 0, to: count, by: 1))
        }
    }

    /// The `part`-th of `parts` contiguous, balanced ranges of `0..<count`.
    static func range(_ part: Int, of parts: Int, count: Int) -> (Int, Int) {
        let base = count / parts, extra = count % parts
        let start = part * base + min(part, extra)
        return (start, start + base + (part < extra ? 1 : 0))
    }
}
