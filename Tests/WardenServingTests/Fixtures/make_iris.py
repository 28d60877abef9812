"""Trains the iris-text pipeline's classifier on the real iris data set and exports it with skl2onnx.

Run from this directory (make_pipeline_repository.sh does):

    python3 make_iris.py pipelines/iris-text/1/model.onnx

(needs `pip install scikit-learn==1.9.1 skl2onnx==1.20.0 onnx==1.23.2 onnxruntime==1.32.0`).
The data is Fisher's iris as scikit-learn ships it (`load_iris`, no download): 150
flowers, features sepal length, sepal width, petal length, petal width in cm; classes
0 setosa, 1 versicolor, 2 virginica, the order of the labels in topk.wat. The model is
`Pipeline(StandardScaler, LogisticRegression(max_iter=1000))` on every row, exported
like the other scikit-learn fixtures: input `input` float32 [None, 4], outputs `label`
and `probabilities`, no ZipMap. It prints onnxruntime's answers for the rows the
serving tests send, which the tests compare with.
"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

out = sys.argv[1] if len(sys.argv) > 1 else "model.onnx"
iris = load_iris()
model = Pipeline([("scaler", StandardScaler()), ("clf", LogisticRegression(max_iter=1000))])
model.fit(iris.data, iris.target)
print(f"training accuracy {model.score(iris.data, iris.target):.3f}")

exported = convert_sklearn(
    model,
    name="iris_logreg",  # skl2onnx otherwise names the graph with a random uuid
    initial_types=[("input", FloatTensorType([None, 4]))],
    target_opset={"": 17, "ai.onnx.ml": 3},
    options={id(model.steps[-1][1]): {"zipmap": False}},
)
onnx.checker.check_model(exported, full_check=True)
onnx.save_model(exported, out)

rows = np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]], dtype=np.float32)
labels, probabilities = ort.InferenceSession(out, providers=["CPUExecutionProvider"]).run(None, {"input": rows})
for row, label, p in zip(rows, labels, probabilities):
    print(f"{row.tolist()} -> {iris.target_names[label]} {np.round(p, 6).tolist()}")
