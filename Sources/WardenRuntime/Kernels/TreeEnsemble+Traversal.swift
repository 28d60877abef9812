import Foundation
import WardenTensor

/// A branch comparison as a type, so that each traversal loop is compiled for
/// exactly one comparison and has no per-node switch.
protocol TreeBranchTest {
    /// Whether `value` goes to the true child of `node`.
    static func goesTrue(_ value: Float, _ node: TreeEnsemble.Node) -> Bool
}

/// `BRANCH_LEQ`, the mode scikit-learn and LightGBM export.
enum BranchLessOrEqual: TreeBranchTest {
    @inline(__always) static func goesTrue(_ value: Float, _ node: TreeEnsemble.Node) -> Bool { value <= node.threshold }
}

/// `BRANCH_LT`, the mode XGBoost exports.
enum BranchLess: TreeBranchTest {
    @inline(__always) static func goesTrue(_ value: Float, _ node: TreeEnsemble.Node) -> Bool { value < node.threshold }
}

/// `BRANCH_GTE`.
enum BranchGreaterOrEqual: TreeBranchTest {
    @inline(__always) static func goesTrue(_ value: Float, _ node: TreeEnsemble.Node) -> Bool { value >= node.threshold }
}

/// `BRANCH_GT`.
enum BranchGreater: TreeBranchTest {
    @inline(__always) static func goesTrue(_ value: Float, _ node: TreeEnsemble.Node) -> Bool { value > node.threshold }
}

/// `Base`, except that a NaN goes to the true child of a branch whose
/// `nodes_missing_value_tracks_true` is set (its `tag` is 1). Leaves have a
/// negative tag, so they still step onto themselves.
enum BranchTrackingMissing<Base: TreeBranchTest>: TreeBranchTest {
    @inline(__always) static func goesTrue(_ value: Float, _ node: TreeEnsemble.Node) -> Bool {
        Base.goesTrue(value, node) || (value.isNaN && node.tag == 1)
    }
}

/// Adds one leaf's weights to one row of scores, in one of the ways the
/// ensemble stores them; a type per way so the traversal loop is specialised.
protocol TreeLeafSink {
    func add(_ leaf: Int, to row: UnsafeMutablePointer<Float>)
}

/// Leaves with exactly one (target, weight) each: gradient boosting.
struct SingleWeightSink: TreeLeafSink {
    let targets: UnsafePointer<Int32>
    let values: UnsafePointer<Float>

    @inline(__always) func add(_ leaf: Int, to row: UnsafeMutablePointer<Float>) {
        row[Int(targets[leaf])] += values[leaf]
    }
}

/// Leaves that each hold a dense block of `width` weights: forests, which vote for every class.
struct DenseWeightSink: TreeLeafSink {
    let values: UnsafePointer<Float>
    let width: Int

    @inline(__always) func add(_ leaf: Int, to row: UnsafeMutablePointer<Float>) {
        let weights = values + leaf * width
        for target in 0..<width { row[target] += weights[target] }
    }
}

/// Leaves with any number of (target, weight) entries, stored as compressed rows.
struct SparseWeightSink: TreeLeafSink {
    let offsets: UnsafePointer<Int32>
    let targets: UnsafePointer<Int32>
    let values: UnsafePointer<Float>

    @inline(__always) func add(_ leaf: Int, to row: UnsafeMutablePointer<Float>) {
        for entry in Int(offsets[leaf])..<Int(offsets[leaf + 1]) { row[Int(targets[entry])] += values[entry] }
    }
}

/// The trees of an ensemble as the summing traversal reads them.
struct TreeForest {
    let nodes: UnsafePointer<TreeEnsemble.Node>
    let roots: UnsafePointer<Int32>
    let depths: UnsafePointer<Int32>
    let count: Int
}

/// The fast traversal: a sum (or average) of leaf weights over trees whose
/// branches all make one comparison (`Test`), for rows whose features are
/// `columns` floats apart and whose scores are `targets` floats apart. Every
/// target a leaf names must be below `targets`.
///
/// Trees are laid out as `TreeEnsemble` describes, so a step is branch-free and
/// a leaf steps onto itself. Several walks run side by side to hide the latency
/// of the two dependent loads in each step:
/// - sixteen rows through one tree, for each full group of sixteen rows. The
///   group's features are first copied feature-major (feature `f` of lane `k`
///   at `f * 16 + k`), so all sixteen walks address them from one pointer, and
///   rows are taken in chunks that stay in L1 while every tree visits them;
/// - eight trees for one row, for the rows left over (batch 1 among them).
///
/// Each row's leaf weights are added in tree order either way, so the result
/// does not depend on the batch size or on how rows are split over threads.
enum TreeTraversal {
    /// Rows walked side by side through one tree.
    static let lanes = 16
    /// Trees walked side by side for one row.
    static let treeLanes = 8

    /// One step from node `index` for the row at `row`.
    @inline(__always)
    static func step<Test: TreeBranchTest>(_ index: Int32, _ nodes: UnsafePointer<TreeEnsemble.Node>, _ row: UnsafePointer<Float>, _: Test.Type) -> Int32 {
        let node = nodes[Int(index)]
        return node.child &+ (Test.goesTrue(row[Int(node.feature)], node) ? 0 : 1)
    }

    /// One step for lane `k` of a feature-major group, with `lane` pointing at the group's element `k`.
    @inline(__always)
    static func stepInBlock<Test: TreeBranchTest>(_ index: Int32, _ nodes: UnsafePointer<TreeEnsemble.Node>, _ lane: UnsafePointer<Float>, _: Test.Type) -> Int32 {
        let node = nodes[Int(index)]
        return node.child &+ (Test.goesTrue(lane[Int(node.feature) &* lanes], node) ? 0 : 1)
    }

    /// Adds every tree's leaf weights for `rows` into `out`.
    ///
    /// Scores build up in a scratch buffer of this call's own and are added to
    /// `out` once at the end: when threads take neighbouring row ranges, the
    /// cache line between them would otherwise bounce between cores on every tree.
    static func accumulate<Test: TreeBranchTest, Sink: TreeLeafSink>(
        _ test: Test.Type, forest: TreeForest, sink: Sink, rows: Range<Int>,
        x: UnsafePointer<Float>, columns: Int, out: UnsafeMutablePointer<Float>, targets: Int
    ) {
        let grouped = rows.lowerBound + rows.count / lanes * lanes
        if grouped > rows.lowerBound {
            // Chunks of whole groups whose transposed features fit in about 32 KiB.
            let chunk = min(max(1, (32 * 1024) / (lanes * columns * MemoryLayout<Float>.stride)) * lanes, grouped - rows.lowerBound)
            withUnsafeTemporaryAllocation(of: Float.self, capacity: chunk * (columns + targets)) { scratch in
                let xt = scratch.baseAddress!, sums = xt + chunk * columns
                for start in stride(from: rows.lowerBound, to: grouped, by: chunk) {
                    let end = min(start + chunk, grouped)
                    let groups = (end - start) / lanes
                    for group in 0..<groups {
                        let block = xt + group * lanes * columns
                        for lane in 0..<lanes {
                            let row = x + (start + group * lanes + lane) * columns
                            for feature in 0..<columns { block[feature * lanes + lane] = row[feature] }
                        }
                    }
                    sums.initialize(repeating: 0, count: (end - start) * targets)
                    for tree in 0..<forest.count {
                        accumulateGroups(test, forest: forest, tree: tree, sink: sink, groups: groups, xt: xt, columns: columns, out: sums, targets: targets)
                    }
                    let scores = out + start * targets
                    for index in 0..<((end - start) * targets) { scores[index] += sums[index] }
                }
            }
        }
        if grouped < rows.upperBound {
            withUnsafeTemporaryAllocation(of: Float.self, capacity: targets) { scratch in
                let sums = scratch.baseAddress!
                for row in grouped..<rows.upperBound {
                    sums.initialize(repeating: 0, count: targets)
                    accumulateTrees(test, forest: forest, sink: sink, x: x + row * columns, out: sums)
                    let scores = out + row * targets
                    for target in 0..<targets { scores[target] += sums[target] }
                }
            }
        }
    }

    /// Sixteen rows at a time through one tree, for `groups` feature-major groups at `xt`.
    @inline(__always)
    static func accumulateGroups<Test: TreeBranchTest, Sink: TreeLeafSink>(
        _ test: Test.Type, forest: TreeForest, tree: Int, sink: Sink, groups: Int,
        xt: UnsafePointer<Float>, columns: Int, out: UnsafeMutablePointer<Float>, targets: Int
    ) {
        let nodes = forest.nodes
        let root = forest.roots[tree]
        let depth = Int(forest.depths[tree])
        for group in 0..<groups {
            let block = xt + group * lanes * columns
            var n0 = root, n1 = root, n2 = root, n3 = root
            var n4 = root, n5 = root, n6 = root, n7 = root
            var n8 = root, n9 = root, n10 = root, n11 = root
            var n12 = root, n13 = root, n14 = root, n15 = root
            for _ in 0..<depth {
                n0 = stepInBlock(n0, nodes, block + 0, Test.self)
                n1 = stepInBlock(n1, nodes, block + 1, Test.self)
                n2 = stepInBlock(n2, nodes, block + 2, Test.self)
                n3 = stepInBlock(n3, nodes, block + 3, Test.self)
                n4 = stepInBlock(n4, nodes, block + 4, Test.self)
                n5 = stepInBlock(n5, nodes, block + 5, Test.self)
                n6 = stepInBlock(n6, nodes, block + 6, Test.self)
                n7 = stepInBlock(n7, nodes, block + 7, Test.self)
                n8 = stepInBlock(n8, nodes, block + 8, Test.self)
                n9 = stepInBlock(n9, nodes, block + 9, Test.self)
                n10 = stepInBlock(n10, nodes, block + 10, Test.self)
                n11 = stepInBlock(n11, nodes, block + 11, Test.self)
                n12 = stepInBlock(n12, nodes, block + 12, Test.self)
                n13 = stepInBlock(n13, nodes, block + 13, Test.self)
                n14 = stepInBlock(n14, nodes, block + 14, Test.self)
                n15 = stepInBlock(n15, nodes, block + 15, Test.self)
            }
            let o = out + group * lanes * targets
            sink.add(nodes[Int(n0)].leafNumber, to: o)
            sink.add(nodes[Int(n1)].leafNumber, to: o + targets)
            sink.add(nodes[Int(n2)].leafNumber, to: o + 2 * targets)
            sink.add(nodes[Int(n3)].leafNumber, to: o + 3 * targets)
            sink.add(nodes[Int(n4)].leafNumber, to: o + 4 * targets)
            sink.add(nodes[Int(n5)].leafNumber, to: o + 5 * targets)
            sink.add(nodes[Int(n6)].leafNumber, to: o + 6 * targets)
            sink.add(nodes[Int(n7)].leafNumber, to: o + 7 * targets)
            sink.add(nodes[Int(n8)].leafNumber, to: o + 8 * targets)
            sink.add(nodes[Int(n9)].leafNumber, to: o + 9 * targets)
            sink.add(nodes[Int(n10)].leafNumber, to: o + 10 * targets)
            sink.add(nodes[Int(n11)].leafNumber, to: o + 11 * targets)
            sink.add(nodes[Int(n12)].leafNumber, to: o + 12 * targets)
            sink.add(nodes[Int(n13)].leafNumber, to: o + 13 * targets)
            sink.add(nodes[Int(n14)].leafNumber, to: o + 14 * targets)
            sink.add(nodes[Int(n15)].leafNumber, to: o + 15 * targets)
        }
    }

    /// One row through all trees, eight trees at a time.
    @inline(__always)
    static func accumulateTrees<Test: TreeBranchTest, Sink: TreeLeafSink>(
        _ test: Test.Type, forest: TreeForest, sink: Sink, x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>
    ) {
        let nodes = forest.nodes, roots = forest.roots, depths = forest.depths
        var tree = 0
        while tree + treeLanes <= forest.count {
            var n0 = roots[tree], n1 = roots[tree + 1], n2 = roots[tree + 2], n3 = roots[tree + 3]
            var n4 = roots[tree + 4], n5 = roots[tree + 5], n6 = roots[tree + 6], n7 = roots[tree + 7]
            var depth = depths[tree]
            for lane in 1..<treeLanes { depth = max(depth, depths[tree + lane]) }
            for _ in 0..<Int(depth) {
                n0 = step(n0, nodes, x, Test.self)
                n1 = step(n1, nodes, x, Test.self)
                n2 = step(n2, nodes, x, Test.self)
                n3 = step(n3, nodes, x, Test.self)
                n4 = step(n4, nodes, x, Test.self)
                n5 = step(n5, nodes, x, Test.self)
                n6 = step(n6, nodes, x, Test.self)
                n7 = step(n7, nodes, x, Test.self)
            }
            sink.add(nodes[Int(n0)].leafNumber, to: out)
            sink.add(nodes[Int(n1)].leafNumber, to: out)
            sink.add(nodes[Int(n2)].leafNumber, to: out)
            sink.add(nodes[Int(n3)].leafNumber, to: out)
            sink.add(nodes[Int(n4)].leafNumber, to: out)
            sink.add(nodes[Int(n5)].leafNumber, to: out)
            sink.add(nodes[Int(n6)].leafNumber, to: out)
            sink.add(nodes[Int(n7)].leafNumber, to: out)
            tree += treeLanes
        }
        while tree < forest.count {
            var node = roots[tree]
            for _ in 0..<Int(depths[tree]) { node = step(node, nodes, x, Test.self) }
            sink.add(nodes[Int(node)].leafNumber, to: out)
            tree += 1
        }
    }
}
