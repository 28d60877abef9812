import Foundation
import WardenCore
import WardenTensor

/// `ai.onnx.ml` TreeEnsembleClassifier and TreeEnsembleRegressor (opsets 1–3),
/// as scikit-learn forests and gradient boosting export them.
///
/// The trees are flattened once at load time (`Kernels.preparers` builds a
/// `TreeEnsemble`); a call walks them (`TreeEnsemble.scores`) and turns the
/// summed leaf weights into the op's outputs (`classify`, `regress`).
enum TreeEnsembleKernels {
    static func register(_ table: inout [String: Kernel]) {
        table["ai.onnx.ml.TreeEnsembleClassifier"] = { context, inputs in
            let x = try context.input(inputs, 0)
            let ensemble = try context.prepared as? TreeEnsemble ?? TreeEnsemble(context, weights: "class")
            return try ensemble.classify(x, context)
        }
        table["ai.onnx.ml.TreeEnsembleRegressor"] = { context, inputs in
            let x = try context.input(inputs, 0)
            let ensemble = try context.prepared as? TreeEnsemble ?? TreeEnsemble(context, weights: "target")
            return try ensemble.regress(x, context)
        }
    }
}
