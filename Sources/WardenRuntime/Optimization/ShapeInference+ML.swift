import Foundation
import WardenCore
import WardenTensor

/// The `ai.onnx.ml` ops the executor runs, as `MLKernels` and `TreeEnsemble` shape their outputs.
extension ShapeInference {
    /// The output shapes of one `ai.onnx.ml` node; nil where the rank is unknown.
    static func mlOutputs(_ context: NodeContext, _ operands: Operands) throws -> [[Dim]?] {
        guard let x = operands.shape(0) else { return [] }
        // The kernels read [N, F] (or any rank, as rows of the last dim); a vector or scalar is one row.
        let rows = x.count <= 1 ? Dim.fixed(1) : product(x.dropLast())
        switch context.node.opType {
        case "Scaler", "Normalizer":
            return [x]
        case "ArrayFeatureExtractor":
            guard !x.isEmpty, let indices = operands.shape(1) else { return [nil] }
            return [Array(x.dropLast()) + [product(indices[...])]]
        case "LinearClassifier":
            let coefficients = context.floats("coefficients")?.count ?? 0
            var classes = Dim.unknown
            if case .fixed(let features) = x.last ?? .fixed(1), features > 0 {
                guard coefficients % Int(features) == 0, coefficients > 0 else {
                    throw Mismatch(why: "coefficients has \(coefficients) values, which do not fit the \(features) features of \(describe(x)) (one row of \(features) per class)")
                }
                classes = .fixed(Int64(coefficients) / features)
            }
            return [[rows], [rows, classes]]
        case "LinearRegressor":
            let targets = context.int("targets", 1)
            let coefficients = context.floats("coefficients")?.count ?? 0
            if x.count == 2 || x.count == 1, case .fixed(let features) = x.last ?? .fixed(0), targets > 0, coefficients != targets * Int(features) {
                throw Mismatch(why: "coefficients has \(coefficients) values, but \(targets) target(s) × the \(features) features of \(describe(x)) need \(targets * Int(features))")
            }
            return [[x.count == 2 ? x[0] : .fixed(1), .fixed(Int64(targets))]]
        case "TreeEnsembleClassifier":
            let labels = context.attribute("classlabels_int64s")?.ints.count ?? context.strings("classlabels_strings")?.count
            return [[rows], [rows, labels.map { .fixed(Int64($0)) } ?? .unknown]]
        case "TreeEnsembleRegressor":
            return [[rows, .fixed(Int64(context.int("n_targets", 1)))]]
        default:
            return []
        }
    }
}
