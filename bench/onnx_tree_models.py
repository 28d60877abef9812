"""Trains the scikit-learn tree ensembles bench/onnx-trees.sh times and exports them with skl2onnx.

    python3 bench/onnx_tree_models.py OUT_DIR

- gbdt-classifier.onnx: GradientBoostingClassifier, 4 classes × 100 trees of depth 3,
  20 features (TreeEnsembleClassifier, SOFTMAX, 400 trees).
- gbdt-regressor.onnx: GradientBoostingRegressor, 300 trees of depth 5, 20 features
  (TreeEnsembleRegressor, 300 trees).
- forest-classifier.onnx: RandomForestClassifier, 100 trees of depth ≤ 12, 3 classes,
  20 features (TreeEnsembleClassifier, AVERAGE-style summed probabilities, deep and unbalanced trees).

Classifiers are exported with zipmap=False, so the second output is a [N, classes]
probability tensor. For each model it also saves NAME-1.npy and NAME-64.npy: float32
rows held out from training (seeded), so the trees see realistic feature values.
"""
import os
import sys

import numpy as np
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor, RandomForestClassifier

OPSET = {"": 17, "ai.onnx.ml": 3}
FEATURES = 20


def export(model, name, out, held_out, classifier):
    options = {id(model): {"zipmap": False}} if classifier else None
    onx = convert_sklearn(model, name=name, initial_types=[("input", FloatTensorType([None, FEATURES]))],
                          target_opset=OPSET, options=options)
    with open(os.path.join(out, f"{name}.onnx"), "wb") as f:
        f.write(onx.SerializeToString())
    for batch in (1, 64):
        np.save(os.path.join(out, f"{name}-{batch}.npy"), np.ascontiguousarray(held_out[:batch], dtype=np.float32))


def main(out):
    os.makedirs(out, exist_ok=True)
    x, y = make_classification(n_samples=4064, n_features=FEATURES, n_informative=12, n_redundant=4,
                               n_classes=4, n_clusters_per_class=2, random_state=0)
    gbc = GradientBoostingClassifier(n_estimators=100, max_depth=3, random_state=0).fit(x[:4000], y[:4000])
    export(gbc, "gbdt-classifier", out, x[4000:], classifier=True)

    x, y = make_regression(n_samples=4064, n_features=FEATURES, n_informative=12, noise=1.0, random_state=1)
    gbr = GradientBoostingRegressor(n_estimators=300, max_depth=5, random_state=0).fit(x[:4000], y[:4000])
    export(gbr, "gbdt-regressor", out, x[4000:], classifier=False)

    x, y = make_classification(n_samples=4064, n_features=FEATURES, n_informative=10, n_redundant=5,
                               n_classes=3, n_clusters_per_class=2, random_state=2)
    rf = RandomForestClassifier(n_estimators=100, max_depth=12, random_state=0, n_jobs=1).fit(x[:4000], y[:4000])
    export(rf, "forest-classifier", out, x[4000:], classifier=True)


if __name__ == "__main__":
    main(sys.argv[1])
