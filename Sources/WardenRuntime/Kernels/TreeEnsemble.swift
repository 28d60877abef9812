import Foundation
import WardenCore
import WardenTensor

/// A tree ensemble (`ai.onnx.ml` TreeEnsembleClassifier or TreeEnsembleRegressor)
/// flattened once at load time into the form its traversal loops want.
///
/// Every tree is laid out breadth-first in one contiguous `nodes` array of
/// 16-byte `Node`s, with the two children of a branch side by side: the true
/// child at `child`, the false child at `child + 1`. A step is then
/// `child + (goesTrue ? 0 : 1)`, with no branch to mispredict. A leaf points
/// back at itself (its `child` is its own index minus one and its threshold
/// is NaN, so every comparison is false and the step adds one), so a row can
/// take exactly `depths[tree]` steps down any tree and ends on its leaf; the
/// traversal runs several rows (or trees) side by side this way.
///
/// Leaf weights are stored once per leaf in compressed rows (`leafOffsets`,
/// `leafTargets`, `leafValues`), and also as a dense `denseWidth`-wide block
/// per leaf when that is compact (forests, where every leaf votes for every class).
struct TreeEnsemble: Sendable {
    enum Mode: UInt8 { case leq, lt, gte, gt, eq, neq, leaf }

    /// How leaf weights of different trees combine (`aggregate_function`; classifiers always sum).
    enum Aggregate: Sendable { case sum, average, min, max }

    /// One node of one tree. For a branch, `tag` is 1 when a missing value (NaN)
    /// goes to the true child (`nodes_missing_value_tracks_true`) and 0 when it is
    /// compared like any value; for a leaf it is `-1 - leafNumber`.
    struct Node: Sendable, Equatable {
        var feature: Int32
        var threshold: Float
        var child: Int32
        var tag: Int32

        var isLeaf: Bool { tag < 0 }
        var leafNumber: Int { Int(~tag) }
    }

    /// Class labels of a classifier, as the model declares them.
    enum Labels: Sendable {
        case ints([Int64])
        case strings([String])

        var count: Int {
            switch self {
            case .ints(let labels): labels.count
            case .strings(let labels): labels.count
            }
        }
    }

    private(set) var nodes: [Node] = []
    /// Each laid-out node's comparison, for the general traversal.
    private(set) var modes: [Mode] = []
    /// Each tree's first node in `nodes`, in the order the trees first appear in `nodes_treeids`.
    private(set) var roots: [Int32] = []
    /// Each tree's number of branches on its longest path from the root to a leaf.
    private(set) var depths: [Int32] = []
    /// Nodes one row visits in the fast walk: every tree's depth plus its leaf.
    private(set) var visitsPerRow = 0
    /// The comparison every branch uses, when it is one of LEQ, LT, GTE and GT;
    /// nil when the branches mix modes or use EQ or NEQ.
    private(set) var uniformMode: Mode?
    /// Whether any branch sends a missing value to its true child.
    private(set) var tracksMissing = false

    /// Leaf `l` owns entries `leafOffsets[l]..<leafOffsets[l + 1]` of `leafTargets` and `leafValues`.
    private(set) var leafOffsets: [Int32] = [0]
    private(set) var leafTargets: [Int32] = []
    private(set) var leafValues: [Float] = []
    /// Whether every leaf has exactly one weight, so leaf `l`'s entry is entry `l`.
    private(set) var oneEntryPerLeaf = true
    /// When non-zero, `denseValues[l * denseWidth + t]` is leaf `l`'s summed weight for target `t`.
    private(set) var denseWidth = 0
    private(set) var denseValues: [Float] = []

    /// The highest feature index a branch reads.
    private(set) var maximumFeature = -1
    /// The highest target (or class) index a leaf weight names.
    private(set) var maximumTarget = -1
    /// Targets (classes) that some leaf weight names, in ascending order.
    private(set) var weightedTargets: [Int] = []
    /// Whether no leaf weight is negative.
    private(set) var weightsAreAllPositive = true

    // What the kernel needs besides the trees, read once from the node's attributes.
    private(set) var aggregate = Aggregate.sum
    private(set) var postTransform = "NONE"
    private(set) var baseValues: [Float] = []
    /// `n_targets` of a regressor (1 when absent).
    private(set) var targetCount = 1
    /// The class labels of a classifier, nil when it declares none (or for a regressor).
    private(set) var labels: Labels?

    /// Flattens the node's `nodes_*` attributes and its `<prefix>_*` leaf weights
    /// (`class` for a classifier, `target` for a regressor).
    init(_ context: NodeContext, weights prefix: String) throws {
        guard let treeIDs = context.ints("nodes_treeids"), let nodeIDs = context.ints("nodes_nodeids"),
              let featureIDs = context.ints("nodes_featureids"), let modeNames = context.strings("nodes_modes"),
              let trueIDs = context.ints("nodes_truenodeids"), let falseIDs = context.ints("nodes_falsenodeids")
        else { throw context.fail("lacks the nodes_* attributes of a tree ensemble") }
        let values = context.floats("nodes_values") ?? context.attribute("nodes_values_as_tensor").map { $0.t.floatData } ?? []
        let count = treeIDs.count
        guard [nodeIDs.count, featureIDs.count, modeNames.count, trueIDs.count, falseIDs.count, values.count].allSatisfy({ $0 == count }) else {
            throw context.fail("its nodes_* attributes have different lengths")
        }
        let missing = context.ints("nodes_missing_value_tracks_true") ?? []

        // Where each (tree, node id) is in the attribute lists; a tree's root is its first listed node.
        var index: [Int: [Int: Int]] = [:]
        var rootPositions: [Int] = []
        for position in 0..<count {
            if index[treeIDs[position]] == nil { rootPositions.append(position) }
            index[treeIDs[position], default: [:]][nodeIDs[position]] = position
        }
        let table: [String: Mode] = ["BRANCH_LEQ": .leq, "BRANCH_LT": .lt, "BRANCH_GTE": .gte, "BRANCH_GT": .gt, "BRANCH_EQ": .eq, "BRANCH_NEQ": .neq, "LEAF": .leaf]
        var positionModes: [Mode] = []
        positionModes.reserveCapacity(count)
        for position in 0..<count {
            guard let mode = table[modeNames[position]] else { throw context.fail("node mode '\(modeNames[position])' is not an ONNX tree mode") }
            positionModes.append(mode)
            if mode != .leaf {
                guard featureIDs[position] >= 0, featureIDs[position] <= Int(Int32.max) else {
                    throw context.fail("node \(nodeIDs[position]) reads feature \(featureIDs[position])")
                }
                maximumFeature = max(maximumFeature, featureIDs[position])
            }
        }

        // Leaf weights by attribute position.
        guard let weightTrees = context.ints("\(prefix)_treeids"), let weightNodes = context.ints("\(prefix)_nodeids"),
              let weightTargets = context.ints("\(prefix)_ids"),
              let weights = context.floats("\(prefix)_weights") ?? context.attribute("\(prefix)_weights_as_tensor").map({ $0.t.floatData }),
              weightTrees.count == weightNodes.count, weightNodes.count == weightTargets.count, weightTargets.count == weights.count
        else { throw context.fail("lacks consistent \(prefix)_* leaf weights") }
        var entries = [[(target: Int32, weight: Float)]](repeating: [], count: count)
        var targetsSeen = Set<Int>()
        for entry in 0..<weights.count {
            guard let node = index[weightTrees[entry]]?[weightNodes[entry]] else {
                throw context.fail("a \(prefix) weight names node \(weightNodes[entry]) of tree \(weightTrees[entry]), which does not exist")
            }
            guard weightTargets[entry] >= 0, weightTargets[entry] <= Int(Int32.max) else {
                throw context.fail("a \(prefix) weight names target \(weightTargets[entry])")
            }
            entries[node].append((Int32(weightTargets[entry]), weights[entry]))
            targetsSeen.insert(weightTargets[entry])
            maximumTarget = max(maximumTarget, weightTargets[entry])
            if weights[entry] < 0 { weightsAreAllPositive = false }
        }
        weightedTargets = targetsSeen.sorted()

        // Lay every tree out breadth-first, children side by side. A node reached
        // from two parents is copied; a cycle shows up as a path longer than the node count.
        let limit = 16 * count + 1024
        var origin: [Int] = []
        var level: [Int32] = []
        var sawModes = Set<Mode>()
        for root in rootPositions {
            let first = nodes.count
            roots.append(Int32(first))
            origin.append(root)
            level.append(0)
            nodes.append(Node(feature: 0, threshold: .nan, child: 0, tag: 0))
            var depth: Int32 = 0
            var slot = first
            while slot < nodes.count {
                let position = origin[slot]
                let mode = positionModes[position]
                depth = max(depth, level[slot])
                if mode == .leaf {
                    let leaf = Int32(leafOffsets.count - 1)
                    nodes[slot] = Node(feature: 0, threshold: .nan, child: Int32(slot) - 1, tag: ~leaf)
                    for (target, weight) in entries[position] {
                        leafTargets.append(target)
                        leafValues.append(weight)
                    }
                    if entries[position].count != 1 { oneEntryPerLeaf = false }
                    leafOffsets.append(Int32(leafTargets.count))
                } else {
                    guard Int(level[slot]) < count else { throw context.fail("tree rooted at node \(nodeIDs[root]) of tree \(treeIDs[root]) has a cycle") }
                    guard let yes = index[treeIDs[position]]?[trueIDs[position]], let no = index[treeIDs[position]]?[falseIDs[position]] else {
                        throw context.fail("node \(nodeIDs[position]) of tree \(treeIDs[position]) points to a node that does not exist")
                    }
                    guard nodes.count + 2 <= limit else {
                        throw context.fail("tree rooted at node \(nodeIDs[root]) of tree \(treeIDs[root]) shares so many subtrees that it is too large once unshared")
                    }
                    let tracks: Int32 = position < missing.count && missing[position] != 0 ? 1 : 0
                    if tracks == 1 { tracksMissing = true }
                    sawModes.insert(mode)
                    nodes[slot] = Node(feature: Int32(featureIDs[position]), threshold: values[position], child: Int32(nodes.count), tag: tracks)
                    for next in [yes, no] {
                        origin.append(next)
                        level.append(level[slot] + 1)
                        nodes.append(Node(feature: 0, threshold: .nan, child: 0, tag: 0))
                    }
                }
                slot += 1
            }
            depths.append(depth)
            visitsPerRow += Int(depth) + 1
        }
        modes = origin.map { positionModes[$0] }
        switch sawModes.count {
        case 0: uniformMode = .leq  // only leaves: any comparison will do
        case 1: if let mode = sawModes.first, [.leq, .lt, .gte, .gt].contains(mode) { uniformMode = mode }
        default: uniformMode = nil
        }

        // Output settings.
        if prefix == "class" {
            if let ints = context.attribute("classlabels_int64s")?.ints { labels = .ints(ints) }
            else if let strings = context.strings("classlabels_strings") { labels = .strings(strings) }
        } else {
            let name = context.string("aggregate_function", "SUM")
            aggregate = name == "AVERAGE" ? .average : name == "MIN" ? .min : name == "MAX" ? .max : .sum
            targetCount = context.int("n_targets", 1)
        }
        postTransform = context.string("post_transform", "NONE")
        baseValues = context.floats("base_values") ?? context.attribute("base_values_as_tensor").map { $0.t.floatData } ?? []

        // A dense block per leaf, when leaves vote for most targets and the sums allow it.
        let leaves = leafOffsets.count - 1
        let width = maximumTarget + 1
        if !oneEntryPerLeaf, aggregate == .sum || aggregate == .average, width > 0, leaves * width <= 2 * leafValues.count {
            denseWidth = width
            denseValues = [Float](repeating: 0, count: leaves * width)
            for leaf in 0..<leaves {
                for entry in Int(leafOffsets[leaf])..<Int(leafOffsets[leaf + 1]) {
                    denseValues[leaf * width + Int(leafTargets[entry])] += leafValues[entry]
                }
            }
        }
    }
}
