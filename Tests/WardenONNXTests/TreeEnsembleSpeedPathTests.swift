import Foundation
import Testing
import WardenCore
@testable import WardenONNX
@testable import WardenRuntime
@testable import WardenTensor

/// The tree-ensemble kernels' traversal paths against a plain interpreter of
/// the ONNX attributes written here: the fast walk for each comparison with
/// and without missing-value tracking, its three leaf-weight layouts, sixteen-
/// row groups with leftover rows, rows split over threads, the general walk
/// (mixed modes, MIN, MAX), and onnxruntime's two-class rules.
@Suite struct TreeEnsembleSpeedPathTests {
    /// An ensemble as ONNX attribute lists, one entry per node and per leaf weight.
    struct Spec {
        var treeIDs: [Int] = [], nodeIDs: [Int] = [], features: [Int] = [], modes: [String] = []
        var values: [Float] = [], trueIDs: [Int] = [], falseIDs: [Int] = [], missingTrue: [Int] = []
        var weightTrees: [Int] = [], weightNodes: [Int] = [], weightTargets: [Int] = [], weights: [Float] = []

        mutating func branch(tree: Int, id: Int, feature: Int, _ mode: String, _ threshold: Float, yes: Int, no: Int, missingTrue: Bool = false) {
            treeIDs.append(tree); nodeIDs.append(id); features.append(feature); modes.append(mode)
            values.append(threshold); trueIDs.append(yes); falseIDs.append(no); self.missingTrue.append(missingTrue ? 1 : 0)
        }

        mutating func leaf(tree: Int, id: Int, _ votes: [(target: Int, weight: Float)]) {
            treeIDs.append(tree); nodeIDs.append(id); features.append(0); modes.append("LEAF")
            values.append(0); trueIDs.append(0); falseIDs.append(0); missingTrue.append(0)
            for vote in votes {
                weightTrees.append(tree); weightNodes.append(id); weightTargets.append(vote.target); weights.append(vote.weight)
            }
        }
    }

    enum Op: String { case regressor = "TreeEnsembleRegressor", classifier = "TreeEnsembleClassifier" }

    static func node(_ spec: Spec, _ op: Op, extra: [Onnx_AttributeProto] = []) -> Onnx_NodeProto {
        let prefix = op == .regressor ? "target" : "class"
        var node = Onnx_NodeProto()
        node.opType = op.rawValue
        node.domain = "ai.onnx.ml"
        node.name = "trees"
        node.input = ["X"]
        node.output = op == .regressor ? ["Y"] : ["label", "scores"]
        node.attribute = [
            .ints("nodes_treeids", spec.treeIDs), .ints("nodes_nodeids", spec.nodeIDs), .ints("nodes_featureids", spec.features),
            strings("nodes_modes", spec.modes), .floats("nodes_values", spec.values), .ints("nodes_truenodeids", spec.trueIDs),
            .ints("nodes_falsenodeids", spec.falseIDs), .ints("nodes_missing_value_tracks_true", spec.missingTrue),
            .ints("\(prefix)_treeids", spec.weightTrees), .ints("\(prefix)_nodeids", spec.weightNodes),
            .ints("\(prefix)_ids", spec.weightTargets), .floats("\(prefix)_weights", spec.weights),
        ] + extra
        return node
    }


    static func string(_ name: String, _ value: String) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .string
        attribute.s = Data(value.utf8)
        return attribute
    }

    static func strings(_ name: String, _ values: [String]) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .strings
        attribute.strings = values.map { Data($0.utf8) }
        return attribute
    }

    static func context(_ node: Onnx_NodeProto, threads: Int = 1, prepared: (any Sendable)? = nil) -> NodeContext {
        NodeContext(node: node, opset: 3, resolver: ExternalDataResolver(directory: "."), prepared: prepared, threads: threads)
    }

    /// Runs the op the way the executor does: prepared once, then called.
    static func run(_ node: Onnx_NodeProto, _ x: Tensor, threads: Int = 1) throws -> [Tensor] {
        let key = "ai.onnx.ml.\(node.opType)"
        let preparer = try #require(Kernels.preparers[key])
        let kernel = try #require(Kernels.all[key])
        return try kernel(context(node, threads: threads, prepared: try preparer(context(node))), [x])
    }

    static func prepared(_ node: Onnx_NodeProto) throws -> TreeEnsemble {
        try TreeEnsemble(context(node), weights: node.opType == Op.regressor.rawValue ? "target" : "class")
    }

    /// The interpreter the kernels are checked against: every row through every
    /// tree (trees in order of first appearance, each starting at its first
    /// listed node), following the node attributes as the ONNX spec reads.
    static func reference(_ spec: Spec, x: [Float], columns: Int, targets: Int, aggregate: String = "SUM") -> [Float] {
        var position: [Int: [Int: Int]] = [:]
        var roots: [Int] = []
        for p in spec.treeIDs.indices {
            if position[spec.treeIDs[p]] == nil { roots.append(p) }
            position[spec.treeIDs[p], default: [:]][spec.nodeIDs[p]] = p
        }
        var votes: [Int: [Int: [Int]]] = [:]  // tree → node id → weight entries, in attribute order
        for w in spec.weights.indices { votes[spec.weightTrees[w], default: [:]][spec.weightNodes[w], default: []].append(w) }
        let rows = x.count / columns
        var out = [Float](repeating: aggregate == "MIN" ? .infinity : aggregate == "MAX" ? -.infinity : 0, count: rows * targets)
        var touched = [Bool](repeating: false, count: out.count)
        for row in 0..<rows {
            for root in roots {
                var p = root
                while spec.modes[p] != "LEAF" {
                    let value = x[row * columns + spec.features[p]], threshold = spec.values[p]
                    let yes: Bool
                    if value.isNaN && spec.missingTrue[p] == 1 {
                        yes = true
                    } else {
                        switch spec.modes[p] {
                        case "BRANCH_LEQ": yes = value <= threshold
                        case "BRANCH_LT": yes = value < threshold
                        case "BRANCH_GTE": yes = value >= threshold
                        case "BRANCH_GT": yes = value > threshold
                        case "BRANCH_EQ": yes = value == threshold
                        default: yes = value != threshold
                        }
                    }
                    p = position[spec.treeIDs[p]]![yes ? spec.trueIDs[p] : spec.falseIDs[p]]!
                }
                for w in votes[spec.treeIDs[p]]?[spec.nodeIDs[p]] ?? [] where spec.weightTargets[w] < targets {
                    let slot = row * targets + spec.weightTargets[w]
                    touched[slot] = true
                    switch aggregate {
                    case "MIN": out[slot] = min(out[slot], spec.weights[w])
                    case "MAX": out[slot] = max(out[slot], spec.weights[w])
                    default: out[slot] += spec.weights[w]
                    }
                }
            }
        }
        for i in out.indices {
            if aggregate == "AVERAGE" { out[i] /= Float(roots.count) }
            if (aggregate == "MIN" || aggregate == "MAX") && !touched[i] { out[i] = 0 }
        }
        return out
    }

    /// A random ensemble of unbalanced trees: branches split on `features`
    /// features at thresholds from a small grid (so inputs often equal them),
    /// leaves end early at random, and each leaf votes through `votes`.
    static func randomSpec(
        trees: Int, depth: Int, features: Int, modes: [String], missingTrue: Bool, seed: UInt64,
        votes: (inout SplitMix64) -> [(target: Int, weight: Float)]
    ) -> Spec {
        var random = SplitMix64(seed: seed)
        var spec = Spec()
        for tree in 0..<trees {
            var nextID = 1
            // Lists nodes depth-first from id 0 (the root must come first), children ids allocated as found.
            func grow(_ id: Int, _ level: Int) {
                if level == depth || (level > 0 && Int.random(in: 0..<4, using: &random) == 0) {
                    spec.leaf(tree: tree, id: id, votes(&random))
                    return
                }
                let yes = nextID, no = nextID + 1
                nextID += 2
                spec.branch(
                    tree: tree, id: id, feature: Int.random(in: 0..<features, using: &random), modes.randomElement(using: &random)!,
                    Float(Int.random(in: -4...4, using: &random)) / 2, yes: yes, no: no, missingTrue: missingTrue && Bool.random(using: &random))
                grow(yes, level + 1)
                grow(no, level + 1)
            }
            grow(0, 0)
        }
        return spec
    }

    /// Inputs on the thresholds' grid and between them, with some NaNs.
    static func randomInput(rows: Int, columns: Int, seed: UInt64) -> [Float] {
        var random = SplitMix64(seed: seed)
        return (0..<(rows * columns)).map { _ in
            Int.random(in: 0..<10, using: &random) == 0 ? .nan : Float(Int.random(in: -10...10, using: &random)) / 4
        }
    }

    static let batches = [1, 5, 16, 21, 37, 64]

    // MARK: The fast walk

    @Test(arguments: ["BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT"], [false, true])
    func fastWalkMatchesTheInterpreter(mode: String, missing: Bool) throws {
        let spec = Self.randomSpec(trees: 21, depth: 6, features: 5, modes: [mode], missingTrue: missing, seed: 1) { random in
            [(0, Float(Int.random(in: -8...8, using: &random)) / 8)]
        }
        let node = Self.node(spec, .regressor)
        let ensemble = try Self.prepared(node)
        #expect(ensemble.uniformMode != nil)
        #expect(ensemble.tracksMissing == missing)
        #expect(ensemble.oneEntryPerLeaf)
        for rows in Self.batches {
            let x = Self.randomInput(rows: rows, columns: 5, seed: UInt64(rows))
            let expected = Self.reference(spec, x: x, columns: 5, targets: 1)
            for threads in [1, 2] {
                let y = try Self.run(node, Tensor(shape: [rows, 5], floats: x), threads: threads)[0]
                #expect(y.shape == [rows, 1])
                #expect(y.floats == expected, "\(mode) missing \(missing), \(rows) rows, \(threads) threads")
            }
        }
    }

    @Test func denseAndSparseLeavesMatchTheInterpreter() throws {
        // Every leaf votes for all three classes (a forest): stored as dense blocks.
        let dense = Self.randomSpec(trees: 13, depth: 5, features: 4, modes: ["BRANCH_LEQ"], missingTrue: false, seed: 2) { random in
            (0..<3).map { ($0, Float(Int.random(in: 0...8, using: &random)) / 8) }
        }
        // One or two votes among four classes, some twice for the same class: stored as compressed rows.
        let sparse = Self.randomSpec(trees: 13, depth: 5, features: 4, modes: ["BRANCH_LEQ"], missingTrue: false, seed: 3) { random in
            (0..<Int.random(in: 1...2, using: &random)).map { _ in (Int.random(in: 0..<4, using: &random), Float(Int.random(in: -8...8, using: &random)) / 8) }
        }
        for (spec, classes) in [(dense, 3), (sparse, 4)] {
            let node = Self.node(spec, .classifier, extra: [.ints("classlabels_int64s", Array(0..<classes))])
            let ensemble = try Self.prepared(node)
            #expect(!ensemble.oneEntryPerLeaf)
            #expect((ensemble.denseWidth > 0) == (classes == 3))
            for rows in Self.batches {
                let x = Self.randomInput(rows: rows, columns: 4, seed: 100 + UInt64(rows))
                let expected = Self.reference(spec, x: x, columns: 4, targets: classes)
                for threads in [1, 2] {
                    let outputs = try Self.run(node, Tensor(shape: [rows, 4], floats: x), threads: threads)
                    let scores = outputs[1].floats
                    #expect(outputs[1].shape == [rows, classes])
                    for i in expected.indices {
                        #expect(abs(scores[i] - expected[i]) <= 1e-6, "\(classes) classes, \(rows) rows, score \(i)")
                    }
                    // The label: the first highest score among the classes some weight names.
                    let named = Set(spec.weightTargets)
                    for row in 0..<rows {
                        var top = -1
                        for c in 0..<classes where named.contains(c) && (top < 0 || expected[row * classes + c] > expected[row * classes + top]) { top = c }
                        #expect(outputs[0].int64s[row] == Int64(top))
                    }
                }
            }
        }
    }

    @Test func rowsSplitOverThreadsMatchOneThread() throws {
        // Large enough (rows × tree depth) that two threads take half the rows each.
        let spec = Self.randomSpec(trees: 150, depth: 7, features: 8, modes: ["BRANCH_LEQ"], missingTrue: false, seed: 4) { random in
            [(Int.random(in: 0..<3, using: &random), Float(Int.random(in: -16...16, using: &random)) / 16)]
        }
        let node = Self.node(spec, .regressor, extra: [.int("n_targets", 3)])
        for rows in [64, 83, 200] {
            let x = Self.randomInput(rows: rows, columns: 8, seed: 7 + UInt64(rows))
            let expected = Self.reference(spec, x: x, columns: 8, targets: 3)
            let one = try Self.run(node, Tensor(shape: [rows, 8], floats: x), threads: 1)[0].floats
            let two = try Self.run(node, Tensor(shape: [rows, 8], floats: x), threads: 2)[0].floats
            #expect(one == expected)
            #expect(two == expected)
        }
    }

    // MARK: The general walk

    @Test(arguments: ["SUM", "AVERAGE", "MIN", "MAX"])
    func generalWalkMatchesTheInterpreter(aggregate: String) throws {
        let modes = ["BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT", "BRANCH_EQ", "BRANCH_NEQ"]
        let spec = Self.randomSpec(trees: 17, depth: 5, features: 3, modes: modes, missingTrue: true, seed: 5) { random in
            // Target 2 is beyond n_targets and must be skipped.
            [(Int.random(in: 0..<3, using: &random), Float(Int.random(in: -8...8, using: &random)) / 8)]
        }
        let node = Self.node(spec, .regressor, extra: [.int("n_targets", 2), Self.string("aggregate_function", aggregate)])
        #expect(try Self.prepared(node).uniformMode == nil)
        for rows in Self.batches {
            let x = Self.randomInput(rows: rows, columns: 3, seed: 200 + UInt64(rows))
            let expected = Self.reference(spec, x: x, columns: 3, targets: 2, aggregate: aggregate)
            for threads in [1, 2] {
                let y = try Self.run(node, Tensor(shape: [rows, 3], floats: x), threads: threads)[0].floats
                #expect(y == expected, "\(aggregate), \(rows) rows, \(threads) threads")
            }
        }
    }

    @Test func averageOnTheFastWalkDividesByTheTreeCount() throws {
        let spec = Self.randomSpec(trees: 9, depth: 4, features: 3, modes: ["BRANCH_LEQ"], missingTrue: false, seed: 6) { random in
            [(0, Float(Int.random(in: -8...8, using: &random)) / 8)]
        }
        let node = Self.node(spec, .regressor, extra: [Self.string("aggregate_function", "AVERAGE")])
        let x = Self.randomInput(rows: 19, columns: 3, seed: 9)
        #expect(try Self.run(node, Tensor(shape: [19, 3], floats: x))[0].floats == Self.reference(spec, x: x, columns: 3, targets: 1, aggregate: "AVERAGE"))
    }

    // MARK: Worked examples

    /// Two trees worked by hand: x0 ≤ 1 (NaN goes true) then x1 ≤ 0; and a lone leaf.
    static var handSpec: Spec {
        var spec = Spec()
        spec.branch(tree: 0, id: 0, feature: 0, "BRANCH_LEQ", 1, yes: 1, no: 2, missingTrue: true)
        spec.leaf(tree: 0, id: 1, [(0, 10)])
        spec.branch(tree: 0, id: 2, feature: 1, "BRANCH_LEQ", 0, yes: 3, no: 4)
        spec.leaf(tree: 0, id: 3, [(0, 20)])
        spec.leaf(tree: 0, id: 4, [(0, 30)])
        spec.leaf(tree: 1, id: 0, [(0, 0.5)])
        return spec
    }

    @Test func handWorkedEnsembleWithMissingValues() throws {
        let node = Self.node(Self.handSpec, .regressor, extra: [.floats("base_values", [100])])
        let nan = Float.nan
        // Rows: x0 = 1 goes true (≤ is inclusive); NaN x0 goes true (tracked); x0 = 2 then x1 = 0 true, x1 = NaN false (untracked).
        let rows: [[Float]] = [[1, 5], [nan, 5], [2, 0], [2, nan], [2, 0.5]]
        let expected: [Float] = [110.5, 110.5, 120.5, 130.5, 130.5]
        // One row at a time (tree lanes) and all of them in one batch, padded past a 16-row group.
        for (row, value) in zip(rows, expected) {
            #expect(try Self.run(node, Tensor(shape: [1, 2], floats: row))[0].floats == [value])
        }
        let batch = Array(repeating: rows, count: 4).flatMap { $0 }
        let y = try Self.run(node, Tensor(shape: [20, 2], floats: batch.flatMap { $0 }))[0].floats
        #expect(y == Array(repeating: expected, count: 4).flatMap { $0 })
    }

    @Test func layoutPutsChildrenSideBySideAndLeavesOnThemselves() throws {
        let ensemble = try Self.prepared(Self.node(Self.handSpec, .regressor))
        #expect(ensemble.roots == [0, 5])
        #expect(ensemble.depths == [2, 0])
        let nodes = ensemble.nodes
        #expect(nodes[0].feature == 0 && nodes[0].threshold == 1 && nodes[0].child == 1 && nodes[0].tag == 1)
        #expect(nodes[2].feature == 1 && nodes[2].child == 3 && nodes[2].tag == 0)
        for index in [1, 3, 4, 5] {
            #expect(nodes[index].isLeaf && nodes[index].child == Int32(index) - 1 && nodes[index].threshold.isNaN)
        }
        #expect(ensemble.leafValues == [10, 20, 30, 0.5])
    }

    // MARK: Two classes, as onnxruntime 1.32 scores them

    /// One split (x0 ≤ 0) whose two leaves carry `votes`; rows x0 = -1 and x0 = 1.
    static func binary(_ votes: [(leaf: Int, target: Int, weight: Float)], extra: [Onnx_AttributeProto]) throws -> (labels: [Int64], scores: [Float]) {
        var spec = Spec()
        spec.branch(tree: 0, id: 0, feature: 0, "BRANCH_LEQ", 0, yes: 1, no: 2)
        for leaf in [1, 2] { spec.leaf(tree: 0, id: leaf, votes.filter { $0.leaf == leaf }.map { ($0.target, $0.weight) }) }
        let node = node(spec, .classifier, extra: [.ints("classlabels_int64s", [0, 1])] + extra)
        let outputs = try run(node, Tensor(shape: [2, 1], floats: [-1, 1]))
        return (outputs[0].int64s, outputs[1].floats)
    }

    static func expectClose(_ actual: [Float], _ expected: [Float], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.count == expected.count, sourceLocation: sourceLocation)
        for (a, e) in zip(actual, expected) { #expect(abs(a - e) <= 1e-6, "\(actual) vs \(expected)", sourceLocation: sourceLocation) }
    }

    /// Expected values are onnxruntime 1.32.0's outputs for the same nodes.
    @Test func binaryClassifiersFollowOnnxRuntime() throws {
        // Forest-style: positive probabilities for class 1, all under class id 0, no base values.
        var result = try Self.binary([(1, 0, 0.7), (2, 0, 0.2)], extra: [])
        #expect(result.labels == [1, 0])
        Self.expectClose(result.scores, [0.3, 0.7, 0.8, 0.2])
        // Gradient-boosting style: mixed-sign margins, one base value, LOGISTIC.
        result = try Self.binary([(1, 0, 0.7), (2, 0, -0.2)], extra: [.floats("base_values", [0.1]), Self.string("post_transform", "LOGISTIC")])
        #expect(result.labels == [1, 0])
        Self.expectClose(result.scores, [0.3100255, 0.6899745, 0.5249792, 0.47502083])
        // Mixed signs without a transform: [-v, v].
        result = try Self.binary([(1, 0, 0.7), (2, 0, -0.2)], extra: [])
        #expect(result.labels == [1, 0])
        Self.expectClose(result.scores, [-0.7, 0.7, 0.2, -0.2])
        // Two base values and no class-1 weights: two scores, class 1 without a score counts as 0.
        result = try Self.binary([(1, 0, 0.7), (2, 0, -0.2)], extra: [.floats("base_values", [0.1, 0.3]), Self.string("post_transform", "LOGISTIC")])
        #expect(result.labels == [1, 0])
        Self.expectClose(result.scores, [0.6899745, 0.5, 0.47502083, 0.5])
        // Weights for both classes: the scores as summed; the label is class 1 whenever its score is positive.
        result = try Self.binary([(1, 0, 0.7), (1, 1, 0.3), (2, 0, 0.2), (2, 1, 0.8)], extra: [])
        #expect(result.labels == [1, 1])
        Self.expectClose(result.scores, [0.7, 0.3, 0.2, 0.8])
        // ... and with two base values, class 1 becomes base[1] + score[0] and class 0 its negation.
        result = try Self.binary([(1, 0, 0.7), (1, 1, 0.3), (2, 0, 0.2), (2, 1, 0.8)], extra: [.floats("base_values", [0.1, 0.2])])
        #expect(result.labels == [1, 1])
        Self.expectClose(result.scores, [-0.9, 0.9, -0.4, 0.4])
    }

    // MARK: Refusals

    /// Each malformed ensemble is refused with a message naming what is wrong, at load or (for the
    /// output attributes) at the call, never a crash.
    @Test func malformedEnsemblesAreRefused() throws {
        func refusedAtLoad(_ message: String, _ node: Onnx_NodeProto) {
            expectWardenError(.invalidArgument, containing: message) { _ = try Self.prepared(node) }
        }
        var unknownMode = Self.handSpec
        unknownMode.modes[0] = "BRANCH_SOMETIMES"
        refusedAtLoad("node mode 'BRANCH_SOMETIMES' is not an ONNX tree mode", Self.node(unknownMode, .regressor))
        var shortValues = Self.handSpec
        shortValues.values.removeLast()
        refusedAtLoad("its nodes_* attributes have different lengths", Self.node(shortValues, .regressor))
        var noNodes = Self.node(Self.handSpec, .regressor)
        noNodes.attribute.removeAll { $0.name == "nodes_modes" }
        refusedAtLoad("lacks the nodes_* attributes of a tree ensemble", noNodes)
        var negativeFeature = Self.handSpec
        negativeFeature.features[0] = -1
        refusedAtLoad("node 0 reads feature -1", Self.node(negativeFeature, .regressor))
        var strayChild = Self.handSpec
        strayChild.trueIDs[0] = 9
        refusedAtLoad("node 0 of tree 0 points to a node that does not exist", Self.node(strayChild, .regressor))
        var strayWeight = Self.handSpec
        strayWeight.weightNodes[0] = 7
        refusedAtLoad("a target weight names node 7 of tree 0, which does not exist", Self.node(strayWeight, .regressor))
        var negativeTarget = Self.handSpec
        negativeTarget.weightTargets[0] = -2
        refusedAtLoad("a target weight names target -2", Self.node(negativeTarget, .regressor))
        var missingWeights = Self.handSpec
        missingWeights.weights.removeLast()
        refusedAtLoad("lacks consistent target_* leaf weights", Self.node(missingWeights, .regressor))

        let x = Tensor(shape: [1, 2], floats: [0, 0])
        expectWardenError(.invalidArgument, containing: "n_targets is -1") {
            _ = try Self.run(Self.node(Self.handSpec, .regressor, extra: [.int("n_targets", -1)]), x)
        }
        expectWardenError(.invalidArgument, containing: "has no class labels") { _ = try Self.run(Self.node(Self.handSpec, .classifier), x) }
        expectWardenError(.invalidArgument, containing: "post_transform PROBIT is not supported yet") {
            _ = try Self.run(Self.node(Self.handSpec, .regressor, extra: [Self.string("post_transform", "PROBIT")]), x)
        }
        expectWardenError(.invalidArgument, containing: "post_transform PROBIT is not supported yet") {
            let binary = [Onnx_AttributeProto.ints("classlabels_int64s", [0, 1]), Self.string("post_transform", "PROBIT")]
            _ = try Self.run(Self.node(Self.handSpec, .classifier, extra: binary), x)
        }
    }

    @Test func cyclesAndMissingFeaturesAreStillRefused() throws {
        var cyclic = Spec()
        cyclic.branch(tree: 0, id: 0, feature: 0, "BRANCH_LEQ", 0, yes: 1, no: 2)
        cyclic.branch(tree: 0, id: 1, feature: 0, "BRANCH_LEQ", 0, yes: 0, no: 2)
        cyclic.leaf(tree: 0, id: 2, [(0, 1)])
        expectWardenError(.invalidArgument, containing: "has a cycle") { _ = try Self.prepared(Self.node(cyclic, .regressor)) }

        let node = Self.node(Self.handSpec, .regressor)
        expectWardenError(.invalidArgument, containing: "a node reads feature 1, but the input has 1") {
            _ = try Self.run(node, Tensor(shape: [2, 1], floats: [0, 0]))
        }
    }
}
