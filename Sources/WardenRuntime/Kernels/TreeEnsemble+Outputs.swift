import Foundation
import WardenCore
import WardenTensor

extension TreeEnsemble {
    /// TreeEnsembleClassifier's outputs for `x`: the label of each row and its
    /// `[rows, classes]` scores after base values and post_transform.
    ///
    /// With more than two classes the label is the first class with the highest
    /// score among the classes that have one (some leaf weight or base value
    /// names them), as in onnxruntime. Two classes follow onnxruntime's binary
    /// rules (`finishBinary`).
    func classify(_ x: Tensor, _ context: NodeContext) throws -> [Tensor] {
        guard let labels, labels.count > 0 else { throw context.fail("has no class labels") }
        let classes = labels.count
        var (rows, values) = try scores(x, targets: classes, threads: context.threads, context)
        var best = [Int](repeating: 0, count: rows)
        if classes == 2 {
            try finishBinary(&values, best: &best, rows: rows, context)
        } else {
            let scored = (0..<classes).map { $0 < baseValues.count || weightedTargets.contains($0) }
            for row in 0..<rows {
                let base = row * classes
                for c in 0..<min(classes, baseValues.count) { values[base + c] += baseValues[c] }
                var top = -1
                for c in 0..<classes where scored[c] && (top < 0 || values[base + c] > values[base + top]) { top = c }
                best[row] = max(top, 0)
            }
            try Self.transform(&values, width: classes, postTransform, context)
        }
        let label: Tensor =
            switch labels {
            case .ints(let names): Tensor(shape: [rows], int64s: best.map { names[$0] })
            case .strings(let names): Tensor(shape: [rows], storage: .string(best.map { names[$0] }))
            }
        return [label, Tensor(shape: [rows, classes], floats: values)]
    }

    /// TreeEnsembleRegressor's `[rows, n_targets]` output for `x`.
    func regress(_ x: Tensor, _ context: NodeContext) throws -> [Tensor] {
        guard targetCount >= 0 else { throw context.fail("n_targets is \(targetCount)") }
        var (rows, values) = try scores(x, targets: targetCount, threads: context.threads, context)
        for row in 0..<rows {
            for t in 0..<min(targetCount, baseValues.count) { values[row * targetCount + t] += baseValues[t] }
        }
        try Self.transform(&values, width: targetCount, postTransform, context)
        return [Tensor(shape: [rows, targetCount], floats: values)]
    }

    /// Scores and labels of a two-class classifier, as onnxruntime computes them.
    ///
    /// A class "has a score" when some leaf weight names it (onnxruntime decides
    /// this per row; exported models give every leaf the same classes). Base
    /// values: two are added to their classes, except that when class 1 has a
    /// score it becomes `base[1] + score[0]` and class 0 its negation; one is
    /// added to class 0. When class 1 has no score and there are fewer than two
    /// base values, the model produced one score `v` (scikit-learn's binary
    /// gradient boosting and forests): the label is class 1 when `v > 0.5` if
    /// every weight is positive and all weights name one class (a probability),
    /// else when `v > 0`, and the scores are `[1 - v, v]` for a probability,
    /// `[logistic(-v), logistic(v)]` under LOGISTIC and `[-v, v]` otherwise.
    /// Otherwise the two scores (0 for a class without one) go through
    /// post_transform, and the label follows the same test on class 1's score
    /// (class 0's when class 1 has none).
    private func finishBinary(_ values: inout [Float], best: inout [Int], rows: Int, _ context: NodeContext) throws {
        guard ["NONE", "LOGISTIC", "SOFTMAX"].contains(postTransform) else {
            throw context.fail("post_transform \(postTransform) is not supported yet")
        }
        let has0 = weightedTargets.contains(0), has1 = weightedTargets.contains(1)
        let probability = weightedTargets.count == 1 && weightsAreAllPositive
        // Whether the model produces two scores or one, which depends only on its attributes.
        let pair = baseValues.count >= 2 || has1
        for row in 0..<rows {
            var s0 = values[2 * row], s1 = values[2 * row + 1]
            if baseValues.count == 2 {
                if has1 {
                    s1 = baseValues[1] + s0
                    s0 = -s1
                } else {
                    s0 += baseValues[0]
                    s1 += baseValues[1]
                }
            } else if baseValues.count == 1 {
                s0 += baseValues[0]
            }
            let positive = pair && has1 ? s1 : has0 ? s0 : 0
            best[row] = (probability ? positive > 0.5 : positive > 0) ? 1 : 0
            if pair {
                values[2 * row] = has0 ? s0 : 0
                values[2 * row + 1] = has1 ? s1 : 0
            } else {
                let v = has0 ? s0 : 0
                if probability {
                    values[2 * row] = 1 - v
                    values[2 * row + 1] = v
                } else if postTransform == "LOGISTIC" {
                    values[2 * row] = Self.logistic(-v)
                    values[2 * row + 1] = Self.logistic(v)
                } else {
                    values[2 * row] = -v
                    values[2 * row + 1] = v
                }
            }
        }
        if pair { try Self.transform(&values, width: 2, postTransform, context) }
    }

    static func logistic(_ value: Float) -> Float { 1 / (1 + Foundation.exp(-value)) }

    /// Applies post_transform in place to rows of `width` scores: NONE, LOGISTIC or SOFTMAX.
    static func transform(_ values: inout [Float], width: Int, _ name: String, _ context: NodeContext) throws {
        switch name {
        case "NONE": return
        case "LOGISTIC":
            for index in values.indices { values[index] = logistic(values[index]) }
        case "SOFTMAX":
            guard width > 0 else { return }
            values.withUnsafeMutableBufferPointer { buffer in
                for start in stride(from: 0, to: buffer.count, by: width) {
                    let row = UnsafeMutableBufferPointer(rebasing: buffer[start..<(start + width)])
                    let maximum = row.max() ?? 0
                    var sum: Float = 0
                    for c in row.indices {
                        row[c] = Foundation.exp(row[c] - maximum)
                        sum += row[c]
                    }
                    for c in row.indices { row[c] /= sum }
                }
            }
        default: throw context.fail("post_transform \(name) is not supported yet")
        }
    }
}
