import Foundation
import WardenCore
import WardenTensor

/// `ai.onnx.ml` ops that skl2onnx writes for linear models and pipelines.
enum MLKernels {
    static func register(_ table: inout [String: Kernel]) {
        table["ai.onnx.ml.Scaler"] = { context, inputs in
            let x = try context.input(inputs, 0)
            let offset = context.floats("offset") ?? [0]
            let scale = context.floats("scale") ?? [1]
            let columns = x.shape.last ?? 1
            let values = x.floats.enumerated().map { index, value in
                let column = index % columns
                return (value - offset[offset.count == 1 ? 0 : column]) * scale[scale.count == 1 ? 0 : column]
            }
            return [Tensor(shape: x.shape, floats: values)]
        }
        table["ai.onnx.ml.Normalizer"] = { context, inputs in
            let x = try context.input(inputs, 0)
            let norm = context.string("norm", "MAX")
            let columns = x.shape.last ?? 1
            var values = x.floats
            for row in 0..<(values.count / max(columns, 1)) {
                let slice = values[(row * columns)..<((row + 1) * columns)]
                let divisor: Float = switch norm {
                case "L1": slice.reduce(0) { $0 + abs($1) }
                case "L2": slice.reduce(0) { $0 + $1 * $1 }.squareRoot()
                default: slice.max() ?? 1
                }
                guard divisor != 0 else { continue }
                for column in 0..<columns { values[row * columns + column] /= divisor }
            }
            return [Tensor(shape: x.shape, floats: values)]
        }
        table["ai.onnx.ml.LinearClassifier"] = { context, inputs in
            let x = try context.input(inputs, 0)
            let coefficients = context.floats("coefficients") ?? []
            let intercepts = context.floats("intercepts") ?? []
            let features = x.shape.last ?? 1
            let rows = x.elementCount / max(features, 1)
            let classes = coefficients.count / max(features, 1)
            guard classes * features == coefficients.count, classes > 0 else { throw context.fail("coefficients do not fit \(features) features") }
            guard intercepts.isEmpty || intercepts.count == classes else {
                throw context.fail("has \(intercepts.count) intercepts for \(classes) classes; give one per class or none")
            }
            if let labels = context.attribute("classlabels_ints")?.ints, labels.count < max(classes, 2) {
                throw context.fail("has \(labels.count) class labels for \(max(classes, 2)) classes")
            }
            var scores = linear(x, coefficients, intercepts, rows: rows, features: features, outputs: classes, context, into: 1)
            scores = try postTransform(scores, classes: classes, context.string("post_transform", "NONE"), context)
            let binary = classes == 1
            let labelsInt = context.attribute("classlabels_ints")?.ints
            var labels: [Int64] = []
            for row in 0..<rows {
                let slice = scores[(row * classes)..<((row + 1) * classes)]
                let best = binary ? (slice.first! > (context.string("post_transform", "NONE") == "NONE" ? 0 : 0.5) ? 1 : 0) : slice.indices.max { slice[$0] < slice[$1] }! - row * classes
                labels.append(labelsInt.map { $0[best] } ?? Int64(best))
            }
            return [Tensor(shape: [rows], int64s: labels), Tensor(shape: [rows, classes], floats: scores)]
        }
        table["ai.onnx.ml.LinearRegressor"] = { context, inputs in
            let x = try context.input(inputs, 0)
            let targets = context.int("targets", 1)
            guard targets > 0 else { throw context.fail("targets must be at least 1, got \(targets)") }
            let coefficients = context.floats("coefficients") ?? []
            let intercepts = context.floats("intercepts") ?? []
            // X is [N, C], or [C] for one row.
            guard (1...2).contains(x.shape.count) else { throw context.fail("X must be [N, C] or [C], got \(x.shapeDescription)") }
            let features = x.shape.last ?? 0
            let rows = x.shape.count == 2 ? x.shape[0] : 1
            guard coefficients.count == targets * features else {
                throw context.fail("has \(coefficients.count) coefficients, but \(targets) target(s) × \(features) features need \(targets * features)")
            }
            guard intercepts.isEmpty || intercepts.count == targets else {
                throw context.fail("has \(intercepts.count) intercepts for \(targets) target(s); give one per target or none")
            }
            var out = linear(x, coefficients, intercepts, rows: rows, features: features, outputs: targets, context, into: 0)
            out = try postTransform(out, classes: targets, context.string("post_transform", "NONE"), context)
            return [Tensor(shape: [rows, targets], floats: out)]
        }
        table["ai.onnx.ml.ArrayFeatureExtractor"] = { context, inputs in
            let x = try context.input(inputs, 0)
            let indices = try context.input(inputs, 1).int64s.map(Int.init)
            let columns = x.shape.last ?? 1
            let rows = x.elementCount / max(columns, 1)
            for index in indices where !(0..<columns).contains(index) { throw context.fail("index \(index) is out of range for \(columns) columns") }
            var shape = x.shape
            shape[shape.count - 1] = indices.count
            switch x.storage {
            case .int64(let values):
                let picked = (0..<rows).flatMap { row in indices.map { values[row * columns + $0] } }
                return [Tensor(shape: shape, int64s: picked)]
            case .int32(let values):
                return [Tensor(shape: shape, storage: .int32((0..<rows).flatMap { row in indices.map { values[row * columns + $0] } }))]
            default:
                let values = x.floats
                return [Tensor(shape: shape, floats: (0..<rows).flatMap { row in indices.map { values[row * columns + $0] } })]
            }
        }
    }

    /// `x · coefficientsᵀ + intercepts` for `rows` rows of `features` values: one row of `features`
    /// coefficients per output, and one intercept per output or none, in the buffer of the node's output `index`.
    /// The caller has checked the counts.
    static func linear(_ x: Tensor, _ coefficients: [Float], _ intercepts: [Float], rows: Int, features: Int, outputs: Int,
                       _ context: NodeContext, into index: Int) -> [Float] {
        var out = context.outputFloats(index, count: rows * outputs)
        x.withFloatBuffer { values in
            out.withUnsafeMutableBufferPointer { result in
                for row in 0..<rows {
                    for output in 0..<outputs {
                        var sum = intercepts.isEmpty ? 0 : intercepts[output]
                        for feature in 0..<features { sum += values[row * features + feature] * coefficients[output * features + feature] }
                        result[row * outputs + output] = sum
                    }
                }
            }
        }
        return out
    }

    static func postTransform(_ scores: [Float], classes: Int, _ transform: String, _ context: NodeContext) throws -> [Float] {
        switch transform {
        case "NONE": return scores
        case "LOGISTIC": return scores.map { 1 / (1 + Foundation.exp(-$0)) }
        case "SOFTMAX":
            var out = scores
            for row in 0..<(scores.count / classes) {
                let slice = scores[(row * classes)..<((row + 1) * classes)]
                let maximum = slice.max() ?? 0
                let exps = slice.map { Foundation.exp($0 - maximum) }
                let sum = exps.reduce(0, +)
                for (c, e) in exps.enumerated() { out[row * classes + c] = e / sum }
            }
            return out
        default: throw context.fail("post_transform \(transform) is not supported yet")
        }
    }
}
