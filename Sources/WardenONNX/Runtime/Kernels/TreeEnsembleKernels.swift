import Foundation
import WardenCore

/// `ai.onnx.ml` TreeEnsembleClassifier and TreeEnsembleRegressor (opsets 1–3),
/// as scikit-learn forests and gradient boosting export them.
enum TreeEnsembleKernels {
    static func register(_ table: inout [String: Kernel]) {
        table["ai.onnx.ml.TreeEnsembleClassifier"] = { context, inputs in
            let x = try context.input(inputs, 0)
            let ensemble = try context.prepared as? TreeEnsemble ?? TreeEnsemble(context, weights: "class")
            let labelsInt = context.attribute("classlabels_int64s")?.ints
            let labelsString = context.strings("classlabels_strings")
            let classes = labelsInt?.count ?? labelsString?.count ?? 0
            guard classes > 0 else { throw context.fail("has no class labels") }
            let (rows, scores) = try ensemble.scores(x, targets: classes, aggregate: "SUM", context)
            let transform = context.string("post_transform", "NONE")
            let base = context.floats("base_values") ?? []
            var values = scores
            for row in 0..<rows { for c in 0..<classes where c < base.count { values[row * classes + c] += base[c] } }
            let best = (0..<rows).map { row in (0..<classes).max { values[row * classes + $0] < values[row * classes + $1] } ?? 0 }
            values = try MLKernels.postTransform(values, classes: classes, transform, context)
            let label: Tensor =
                if let labelsInt { Tensor(shape: [rows], int64s: best.map { labelsInt[$0] }) }
                else { Tensor(shape: [rows], storage: .string(best.map { labelsString![$0] })) }
            return [label, Tensor(shape: [rows, classes], floats: values)]
        }
        table["ai.onnx.ml.TreeEnsembleRegressor"] = { context, inputs in
            let x = try context.input(inputs, 0)
            let ensemble = try context.prepared as? TreeEnsemble ?? TreeEnsemble(context, weights: "target")
            let targets = context.int("n_targets", 1)
            let (rows, scores) = try ensemble.scores(x, targets: targets, aggregate: context.string("aggregate_function", "SUM"), context)
            let base = context.floats("base_values") ?? []
            var values = scores
            for row in 0..<rows { for t in 0..<targets where t < base.count { values[row * targets + t] += base[t] } }
            values = try MLKernels.postTransform(values, classes: targets, context.string("post_transform", "NONE"), context)
            return [Tensor(shape: [rows, targets], floats: values)]
        }
    }
}

/// A tree ensemble flattened into arrays: each node's feature, threshold, mode
/// and children by index; each leaf's (target, weight) contributions.
struct TreeEnsemble: Sendable {
    enum Mode: UInt8 { case leq, lt, gte, gt, eq, neq, leaf }

    var features: [Int] = []
    var thresholds: [Float] = []
    var modes: [Mode] = []
    var trueChild: [Int] = []
    var falseChild: [Int] = []
    var missingTracksTrue: [Bool] = []
    var roots: [Int] = []
    /// For each node index, the (target, weight) pairs of a leaf.
    var leafWeights: [[(Int, Float)]] = []
    /// The highest feature index a branch reads.
    var maximumFeature = -1

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
        var index: [Int: [Int: Int]] = [:]
        for position in 0..<count {
            if index[treeIDs[position]] == nil { roots.append(position) }
            index[treeIDs[position], default: [:]][nodeIDs[position]] = position
        }
        let table: [String: Mode] = ["BRANCH_LEQ": .leq, "BRANCH_LT": .lt, "BRANCH_GTE": .gte, "BRANCH_GT": .gt, "BRANCH_EQ": .eq, "BRANCH_NEQ": .neq, "LEAF": .leaf]
        for position in 0..<count {
            guard let mode = table[modeNames[position]] else { throw context.fail("node mode '\(modeNames[position])' is not an ONNX tree mode") }
            modes.append(mode)
            features.append(featureIDs[position])
            if mode != .leaf {
                guard featureIDs[position] >= 0 else { throw context.fail("node \(nodeIDs[position]) reads feature \(featureIDs[position])") }
                maximumFeature = max(maximumFeature, featureIDs[position])
            }
            thresholds.append(values[position])
            missingTracksTrue.append(position < missing.count && missing[position] != 0)
            if mode == .leaf {
                trueChild.append(-1)
                falseChild.append(-1)
            } else {
                guard let yes = index[treeIDs[position]]?[trueIDs[position]], let no = index[treeIDs[position]]?[falseIDs[position]] else {
                    throw context.fail("node \(nodeIDs[position]) of tree \(treeIDs[position]) points to a node that does not exist")
                }
                trueChild.append(yes)
                falseChild.append(no)
            }
        }
        leafWeights = Array(repeating: [], count: count)
        guard let weightTrees = context.ints("\(prefix)_treeids"), let weightNodes = context.ints("\(prefix)_nodeids"),
              let weightTargets = context.ints("\(prefix)_ids"), let weights = context.floats("\(prefix)_weights"),
              weightTrees.count == weightNodes.count, weightNodes.count == weightTargets.count, weightTargets.count == weights.count
        else { throw context.fail("lacks consistent \(prefix)_* leaf weights") }
        for entry in 0..<weights.count {
            guard let node = index[weightTrees[entry]]?[weightNodes[entry]] else {
                throw context.fail("a \(prefix) weight names node \(weightNodes[entry]) of tree \(weightTrees[entry]), which does not exist")
            }
            leafWeights[node].append((weightTargets[entry], weights[entry]))
        }
        // A cycle would loop forever: every branch must lead to a later-visited node, checked by a bounded walk.
        for root in roots {
            var stack = [(root, 0)]
            while let (node, depth) = stack.popLast() {
                guard depth <= count else { throw context.fail("tree rooted at node \(root) has a cycle") }
                if modes[node] != .leaf { stack += [(trueChild[node], depth + 1), (falseChild[node], depth + 1)] }
            }
        }
    }

    /// Per-row, per-target aggregated leaf weights.
    func scores(_ x: Tensor, targets: Int, aggregate: String, _ context: NodeContext) throws -> (Int, [Float]) {
        let columns = x.shape.last ?? 1
        let rows = x.shape.count <= 1 ? 1 : x.elementCount / max(columns, 1)
        let input = x.floats
        guard maximumFeature < columns else {
            throw context.fail("a node reads feature \(maximumFeature), but the input has \(columns)")
        }
        var out = [Float](repeating: aggregate == "MIN" ? .infinity : aggregate == "MAX" ? -.infinity : 0, count: rows * targets)
        var touched = [Bool](repeating: false, count: rows * targets)
        for row in 0..<rows {
            let base = row * columns
            for root in roots {
                var node = root
                while modes[node] != .leaf {
                    let value = input[base + features[node]]
                    let threshold = thresholds[node]
                    let goTrue: Bool =
                        if value.isNaN && missingTracksTrue[node] { true } else {
                            switch modes[node] {
                            case .leq: value <= threshold
                            case .lt: value < threshold
                            case .gte: value >= threshold
                            case .gt: value > threshold
                            case .eq: value == threshold
                            case .neq: value != threshold
                            case .leaf: false
                            }
                        }
                    node = goTrue ? trueChild[node] : falseChild[node]
                }
                for (target, weight) in leafWeights[node] where target < targets {
                    let slot = row * targets + target
                    touched[slot] = true
                    switch aggregate {
                    case "MIN": out[slot] = min(out[slot], weight)
                    case "MAX": out[slot] = max(out[slot], weight)
                    default: out[slot] += weight
                    }
                }
            }
        }
        if aggregate == "AVERAGE" { for index in out.indices { out[index] /= Float(max(roots.count, 1)) } }
        for index in out.indices where !touched[index] && (aggregate == "MIN" || aggregate == "MAX") { out[index] = 0 }
        return (rows, out)
    }
}
