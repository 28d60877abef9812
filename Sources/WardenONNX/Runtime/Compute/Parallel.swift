import Dispatch
import Foundation

/// Intra-op parallelism: a loop over work items spread over a few threads.
///
/// Built on `DispatchQueue.concurrentPerform`, which runs one iteration on the
/// calling thread and the others on Dispatch's shared worker threads. Many
/// `Executor.run` calls at once each get their own `concurrentPerform`, so
/// they share the workers instead of each starting threads. With one thread
/// (or one item) the loop runs inline and nothing is dispatched.
enum Parallel {
    /// The default thread count: the cores this process may use.
    static var activeCores: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Calls `body` for every item in `0..<count`, on up to `threads` threads.
    /// Worker `w` takes items `w, w + workers, …`, so the split is fixed and the results do not depend on timing.
    static func forEach(_ count: Int, threads: Int, _ body: (Int) -> Void) {
        forEachWorker(count, threads: threads) { items in
            for item in items { body(item) }
        }
    }

    /// Like `forEach`, but hands each worker its whole share of items at once,
    /// so it can set up scratch memory once for all of them.
    static func forEachWorker(_ count: Int, threads: Int, _ body: (StrideTo<Int>) -> Void) {
        let workers = min(threads, count)
        if workers <= 1 {
            body(stride(from: 0, to: count, by: 1))
            return
        }
        withoutActuallyEscaping(body) { body in
            let work = Work(body: body)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                work.body(stride(from: worker, to: count, by: workers))
            }
        }
    }

    /// The loop body handed to Dispatch's workers.
    ///
    /// `@unchecked Sendable`: `concurrentPerform` returns only after every
    /// worker is done, so the body never outlives the call, and every caller
    /// gives each item its own region of memory to write (GEMM tiles, Conv
    /// blocks, element-wise chunks) and reads shared inputs only.
    private struct Work: @unchecked Sendable {
        let body: (StrideTo<Int>) -> Void
    }

    /// The `part`-th of `parts` contiguous, balanced ranges of `0..<count`.
    static func range(_ part: Int, of parts: Int, count: Int) -> (Int, Int) {
        let base = count / parts, extra = count % parts
        let start = part * base + min(part, extra)
        return (start, start + base + (part < extra ? 1 : 0))
    }
}
