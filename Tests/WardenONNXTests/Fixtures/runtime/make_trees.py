"""Tree-ensemble models exported by skl2onnx, and their onnxruntime outputs.

Run from this directory: python3 make_trees.py   (needs scikit-learn, skl2onnx, onnx, onnxruntime, numpy).
Writes trees/gbdt-classifier.onnx (GradientBoostingClassifier, 3 classes, 10 trees
per class, depth 3) and trees/gbdt-regressor.onnx (GradientBoostingRegressor,
20 trees, depth 3), then for them and for the committed skl2onnx forest
(WardenModelTests/Fixtures/sklearn/forest.onnx) a CASE/input.npy and the outputs
onnxruntime computes. `swift test` only reads the committed files.
"""
import os

import numpy as np
import onnxruntime as ort
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor

HERE = os.path.dirname(os.path.abspath(__file__))
os.makedirs(os.path.join(HERE, "trees"), exist_ok=True)
OPSET = {"": 17, "ai.onnx.ml": 3}

x, y = make_classification(n_samples=300, n_features=4, n_informative=3, n_redundant=1, n_classes=3, n_clusters_per_class=1, random_state=0)
clf = GradientBoostingClassifier(n_estimators=10, max_depth=3, random_state=0).fit(x, y)
onx = convert_sklearn(clf, name="gbdt", initial_types=[("input", FloatTensorType([None, 4]))], target_opset=OPSET, options={id(clf): {"zipmap": False}})
with open(os.path.join(HERE, "trees", "gbdt-classifier.onnx"), "wb") as f:
    f.write(onx.SerializeToString())

xr, yr = make_regression(n_samples=300, n_features=4, noise=0.1, random_state=0)
reg = GradientBoostingRegressor(n_estimators=20, max_depth=3, random_state=0).fit(xr, yr)
onx = convert_sklearn(reg, name="gbdt_regressor", initial_types=[("input", FloatTensorType([None, 4]))], target_opset=OPSET)
with open(os.path.join(HERE, "trees", "gbdt-regressor.onnx"), "wb") as f:
    f.write(onx.SerializeToString())

CASES = {
    "gbdt-classifier": os.path.join(HERE, "trees", "gbdt-classifier.onnx"),
    "gbdt-regressor": os.path.join(HERE, "trees", "gbdt-regressor.onnx"),
    "sklearn-forest": os.path.join(HERE, "..", "..", "..", "WardenModelTests", "Fixtures", "sklearn", "forest.onnx"),
}
rng = np.random.default_rng(11)
for case, path in CASES.items():
    os.makedirs(os.path.join(HERE, case), exist_ok=True)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    (inp,) = session.get_inputs()
    x = rng.standard_normal((8, 4)).astype(np.float32)
    x[0, 1] = np.nan  # a missing value takes the node's missing-value branch
    np.save(os.path.join(HERE, case, "input.npy"), x)
    for meta, value in zip(session.get_outputs(), session.run(None, {inp.name: x})):
        np.save(os.path.join(HERE, case, meta.name + ".npy"), np.ascontiguousarray(value))
        print(case, meta.name, value.dtype, value.shape, value.ravel()[:4])
