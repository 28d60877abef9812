import Foundation
import WardenTensor

extension TreeEnsemble {
    /// Below this many node visits (rows × `visitsPerRow`) a batch stays on
    /// the calling thread: waking the worker pool costs more than the walk.
    static let minimumVisitsToSplit = 16_384

    /// Per-row, per-target aggregated leaf weights of `x` (a `[rows, columns]`
    /// matrix, or one row), `targets` per row, before base values and post_transform.
    ///
    /// Takes the fast traversal (`TreeTraversal`) when every branch makes the
    /// same LEQ, LT, GTE or GT comparison, the aggregate is a sum or average and
    /// every leaf names a target below `targets`; otherwise the general walk,
    /// which supports every mode, MIN and MAX and skips out-of-range targets.
    /// Large batches are split into contiguous row ranges over `threads` threads.
    func scores(_ x: Tensor, targets: Int, threads: Int, _ context: NodeContext) throws -> (rows: Int, scores: [Float]) {
        let columns = x.shape.last ?? 1
        let rows = x.shape.count <= 1 ? 1 : x.elementCount / max(columns, 1)
        guard maximumFeature < columns else {
            throw context.fail("a node reads feature \(maximumFeature), but the input has \(columns)")
        }
        let initial: Float = aggregate == .min ? .infinity : aggregate == .max ? -.infinity : 0
        var out = [Float](repeating: initial, count: rows * targets)
        guard rows > 0, targets > 0, !roots.isEmpty else {
            return (rows, aggregate == .min || aggregate == .max ? [Float](repeating: 0, count: rows * targets) : out)
        }
        // A leaf steps by reading feature 0, so the fast walk needs a column; the general one reads none at leaves.
        var input = x.floats
        if input.isEmpty { input = [0] }
        let fast = uniformMode != nil && (aggregate == .sum || aggregate == .average) && maximumTarget < targets && columns > 0
        var touched = fast ? [] : [Bool](repeating: false, count: rows * targets)
        let visits = rows * visitsPerRow
        let parts = threads > 1 && rows >= 2 * TreeTraversal.lanes && visits >= Self.minimumVisitsToSplit ? min(threads, rows / TreeTraversal.lanes) : 1
        input.withUnsafeBufferPointer { inputBuffer in
            out.withUnsafeMutableBufferPointer { outBuffer in
                touched.withUnsafeMutableBufferPointer { touchedBuffer in
                    let x = inputBuffer.baseAddress!, scores = outBuffer.baseAddress!, marks = touchedBuffer.baseAddress
                    let run = { (range: Range<Int>) in
                        if fast {
                            accumulateFast(rows: range, x: x, columns: columns, out: scores, targets: targets)
                        } else {
                            accumulateGeneral(rows: range, x: x, columns: columns, out: scores, touched: marks!, targets: targets)
                        }
                    }
                    if parts == 1 {
                        run(0..<rows)
                    } else {
                        Parallel.forEach(parts, threads: parts) { part in
                            let (start, end) = Parallel.range(part, of: parts, count: rows)
                            run(start..<end)
                        }
                    }
                }
            }
        }
        if aggregate == .average {
            let trees = Float(roots.count)
            for index in out.indices { out[index] /= trees }
        }
        if aggregate == .min || aggregate == .max {
            for index in out.indices where !touched[index] { out[index] = 0 }
        }
        return (rows, out)
    }

    /// The fast traversal, compiled for the ensemble's one comparison, missing-value
    /// tracking or not, and the way its leaves store weights.
    private func accumulateFast(rows: Range<Int>, x: UnsafePointer<Float>, columns: Int, out: UnsafeMutablePointer<Float>, targets: Int) {
        switch (uniformMode ?? .leq, tracksMissing) {
        case (.lt, false): accumulateFast(BranchLess.self, rows: rows, x: x, columns: columns, out: out, targets: targets)
        case (.lt, true): accumulateFast(BranchTrackingMissing<BranchLess>.self, rows: rows, x: x, columns: columns, out: out, targets: targets)
        case (.gte, false): accumulateFast(BranchGreaterOrEqual.self, rows: rows, x: x, columns: columns, out: out, targets: targets)
        case (.gte, true): accumulateFast(BranchTrackingMissing<BranchGreaterOrEqual>.self, rows: rows, x: x, columns: columns, out: out, targets: targets)
        case (.gt, false): accumulateFast(BranchGreater.self, rows: rows, x: x, columns: columns, out: out, targets: targets)
        case (.gt, true): accumulateFast(BranchTrackingMissing<BranchGreater>.self, rows: rows, x: x, columns: columns, out: out, targets: targets)
        case (_, false): accumulateFast(BranchLessOrEqual.self, rows: rows, x: x, columns: columns, out: out, targets: targets)
        case (_, true): accumulateFast(BranchTrackingMissing<BranchLessOrEqual>.self, rows: rows, x: x, columns: columns, out: out, targets: targets)
        }
    }

    private func accumulateFast<Test: TreeBranchTest>(_ test: Test.Type, rows: Range<Int>, x: UnsafePointer<Float>, columns: Int, out: UnsafeMutablePointer<Float>, targets: Int) {
        // Leaves without any weight add nothing, whichever way they are stored.
        guard !leafValues.isEmpty else { return }
        nodes.withUnsafeBufferPointer { nodes in
            roots.withUnsafeBufferPointer { roots in
                depths.withUnsafeBufferPointer { depths in
                    let forest = TreeForest(nodes: nodes.baseAddress!, roots: roots.baseAddress!, depths: depths.baseAddress!, count: roots.count)
                    leafTargets.withUnsafeBufferPointer { leafTargets in
                        leafValues.withUnsafeBufferPointer { leafValues in
                            if oneEntryPerLeaf {
                                let sink = SingleWeightSink(targets: leafTargets.baseAddress!, values: leafValues.baseAddress!)
                                TreeTraversal.accumulate(test, forest: forest, sink: sink, rows: rows, x: x, columns: columns, out: out, targets: targets)
                            } else if denseWidth > 0 {
                                denseValues.withUnsafeBufferPointer { dense in
                                    let sink = DenseWeightSink(values: dense.baseAddress!, width: denseWidth)
                                    TreeTraversal.accumulate(test, forest: forest, sink: sink, rows: rows, x: x, columns: columns, out: out, targets: targets)
                                }
                            } else {
                                leafOffsets.withUnsafeBufferPointer { offsets in
                                    let sink = SparseWeightSink(offsets: offsets.baseAddress!, targets: leafTargets.baseAddress!, values: leafValues.baseAddress!)
                                    TreeTraversal.accumulate(test, forest: forest, sink: sink, rows: rows, x: x, columns: columns, out: out, targets: targets)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// One row and one tree at a time, with each node's own comparison and
    /// missing-value rule, any aggregate, and leaf targets at or above `targets`
    /// skipped. `touched` marks the scores some leaf reached (for MIN and MAX).
    private func accumulateGeneral(rows: Range<Int>, x: UnsafePointer<Float>, columns: Int, out: UnsafeMutablePointer<Float>, touched: UnsafeMutablePointer<Bool>, targets: Int) {
        for row in rows {
            let features = x + row * columns
            let base = row * targets
            for root in roots {
                var index = Int(root)
                while !nodes[index].isLeaf {
                    let node = nodes[index]
                    let value = features[Int(node.feature)]
                    let goesTrue: Bool =
                        if value.isNaN && node.tag == 1 { true } else {
                            switch modes[index] {
                            case .leq: value <= node.threshold
                            case .lt: value < node.threshold
                            case .gte: value >= node.threshold
                            case .gt: value > node.threshold
                            case .eq: value == node.threshold
                            case .neq: value != node.threshold
                            case .leaf: false
                            }
                        }
                    index = Int(node.child) + (goesTrue ? 0 : 1)
                }
                let leaf = nodes[index].leafNumber
                for entry in Int(leafOffsets[leaf])..<Int(leafOffsets[leaf + 1]) {
                    let target = Int(leafTargets[entry])
                    guard target < targets else { continue }
                    let slot = base + target, weight = leafValues[entry]
                    touched[slot] = true
                    switch aggregate {
                    case .min: out[slot] = min(out[slot], weight)
                    case .max: out[slot] = max(out[slot], weight)
                    case .sum, .average: out[slot] += weight
                    }
                }
            }
        }
    }
}
