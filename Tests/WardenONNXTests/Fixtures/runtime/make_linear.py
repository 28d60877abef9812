"""Linear regressors exported by skl2onnx, with onnxruntime's outputs.

Run from this directory: python3 make_linear.py   (needs scikit-learn, skl2onnx, onnxruntime, numpy).
It fits, on 200 rows of 4 features from numpy.random.default_rng(3):
  - LinearRegression on one target  -> linear/linear-regressor.onnx (ai.onnx.ml LinearRegressor)
  - Ridge on two targets            -> linear/ridge-2targets.onnx   (LinearRegressor, targets=2)
and saves, for each, CASE/input.npy (5 rows, seed 7) and CASE/<output>.npy as onnxruntime computes them.
"""
import os

import numpy as np
import onnxruntime as ort
import skl2onnx
import sklearn
from skl2onnx import to_onnx
from sklearn.linear_model import LinearRegression, Ridge

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(3)
X = rng.standard_normal((200, 4)).astype(np.float32)
y1 = X @ np.array([1.5, -2.0, 0.5, 3.0]) + 0.25 + rng.standard_normal(200) * 0.1
y2 = np.stack([y1, X @ np.array([-1.0, 0.0, 2.0, 0.5]) - 4.0], axis=1)

models = {
    "linear-regressor": LinearRegression().fit(X, y1),
    "ridge-2targets": Ridge(alpha=0.5).fit(X, y2),
}
inputs = np.random.default_rng(7).standard_normal((5, 4)).astype(np.float32)
os.makedirs(os.path.join(HERE, "linear"), exist_ok=True)
for case, model in models.items():
    onx = to_onnx(model, X[:1], target_opset={"": 17, "ai.onnx.ml": 3})
    path = os.path.join(HERE, "linear", case + ".onnx")
    with open(path, "wb") as f:
        f.write(onx.SerializeToString())
    print(case, [node.op_type for node in onx.graph.node])
    os.makedirs(os.path.join(HERE, case), exist_ok=True)
    np.save(os.path.join(HERE, case, "input.npy"), inputs)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    for meta, value in zip(session.get_outputs(), session.run(None, {session.get_inputs()[0].name: inputs})):
        np.save(os.path.join(HERE, case, meta.name + ".npy"), np.ascontiguousarray(value))
        print(" ", meta.name, value.dtype, value.shape)
print("scikit-learn", sklearn.__version__, "skl2onnx", skl2onnx.__version__, "onnxruntime", ort.__version__, "numpy", np.__version__)
