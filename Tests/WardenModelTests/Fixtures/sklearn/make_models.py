"""Builds Warden's scikit-learn ONNX test models with the real skl2onnx exporter.

Run from this directory:

    python3 make_models.py

(needs `pip install onnx onnxruntime skl2onnx scikit-learn numpy`). Every seed
is fixed and every graph is named, so re-running with the versions recorded in
README.md rewrites byte-identical files. At the end it prints, as a markdown
table, what each model contains (the table in README.md). `swift test` only
reads the committed output and never needs Python.
"""
import hashlib
import os
import shutil
import warnings
from collections import Counter

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, numpy_helper
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}
warnings.filterwarnings("ignore", category=ConvergenceWarning)


def data(seed, n_features=4):
    """200 samples, 3 classes (labels 0, 1, 2), `n_features` features, drawn with `seed`."""
    x, y = make_classification(
        n_samples=200, n_features=n_features, n_informative=3, n_redundant=n_features - 3,
        n_classes=3, n_clusters_per_class=1, random_state=seed,
    )
    return x, y


def logreg():
    return Pipeline([("scaler", StandardScaler()), ("clf", LogisticRegression(max_iter=1000))])


def export(model, name, n_features=4, tensor_type=FloatTensorType):
    """Converts a fitted estimator or pipeline with input `input` [None, n_features], no ZipMap."""
    clf = model.steps[-1][1] if isinstance(model, Pipeline) else model
    return convert_sklearn(
        model,
        name=name,  # skl2onnx otherwise names the graph with a random uuid
        initial_types=[("input", tensor_type([None, n_features]))],
        target_opset=TARGET_OPSET,
        options={id(clf): {"zipmap": False}},
    )


def save(proto, path):
    onnx.save_model(proto, path)
    print(path, os.path.getsize(path), "bytes")


x4, y4 = data(seed=0)
x4b, y4b = data(seed=1)
x5, y5 = data(seed=0, n_features=5)

# StandardScaler + LogisticRegression, two different samples: PATCH.
logreg_a = logreg().fit(x4, y4)
save(export(logreg_a, "logreg"), "logreg-a.onnx")
save(export(logreg().fit(x4b, y4b), "logreg"), "logreg-b.onnx")

# The same pipeline on 5 features: input shape change, MAJOR.
save(export(logreg().fit(x5, y5), "logreg", n_features=5), "logreg-5features.onnx")

# logreg-a's fitted pipeline exported with a double input: dtype change, MAJOR.
save(export(logreg_a, "logreg", tensor_type=DoubleTensorType), "logreg-double.onnx")

# MLPs on the same data and input, one vs two hidden layers: architecture change, MINOR.
mlp1 = MLPClassifier(hidden_layer_sizes=(8,), max_iter=300, random_state=0).fit(x4, y4)
mlp2 = MLPClassifier(hidden_layer_sizes=(8, 8), max_iter=300, random_state=0).fit(x4, y4)
save(export(mlp1, "mlp"), "mlp-1layer.onnx")
save(export(mlp2, "mlp"), "mlp-2layer.onnx")

# A tiny random forest: ai.onnx.ml TreeEnsembleClassifier.
forest = RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(x4, y4)
save(export(forest, "forest"), "forest.onnx")

# mlp-2layer with its trained weights in weights.bin beside the graph. skl2onnx
# writes initializers in the typed fields (float_data, int32_data, int64_data)
# and onnx moves only raw_data tensors out, so the six float tensors (weights
# and biases) are first rewritten as raw_data: the same values, stored
# differently. `classes` (int32) and `shape_tensor` (int64, Reshape's shape)
# stay inline: with the shape in external data, onnxruntime 1.32 refuses the
# model ("Cannot parse data from external tensors") and so does onnx's full check.
shutil.rmtree("mlp-2layer-external", ignore_errors=True)
os.makedirs("mlp-2layer-external")
external = export(mlp2, "mlp")
for tensor in external.graph.initializer:
    if tensor.data_type == TensorProto.FLOAT:
        tensor.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(tensor), tensor.name))
onnx.save_model(
    external, "mlp-2layer-external/model.onnx", save_as_external_data=True,
    all_tensors_to_one_file=True, location="weights.bin", size_threshold=0,
)
os.chmod("mlp-2layer-external/weights.bin", 0o644)  # onnx creates it 0600
print("mlp-2layer-external/", sorted(os.listdir("mlp-2layer-external")))

# Check and run every model once; print what test authors can assert.
FILES = [
    "logreg-a.onnx", "logreg-b.onnx", "logreg-5features.onnx", "logreg-double.onnx",
    "mlp-1layer.onnx", "mlp-2layer.onnx", "forest.onnx", "mlp-2layer-external/model.onnx",
]


def shape(value_info):
    dims = value_info.type.tensor_type.shape.dim
    return "[" + ", ".join(d.dim_param or (str(d.dim_value) if d.HasField("dim_value") else "?") for d in dims) + "]"


def io(values):
    return "<br>".join(
        f"`{v.name}` {TensorProto.DataType.Name(v.type.tensor_type.elem_type).lower()} {shape(v)}" for v in values
    )


rows = []
for path in FILES:
    onnx.checker.check_model(path, full_check=True)  # from the path: checks external data locations too
    model = onnx.load(path)  # loads external data
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    feed_type = np.float64 if model.graph.input[0].type.tensor_type.elem_type == TensorProto.DOUBLE else np.float32
    n_features = model.graph.input[0].type.tensor_type.shape.dim[1].dim_value
    label, probabilities = session.run(None, {"input": (x5 if n_features == 5 else x4)[:3].astype(feed_type)})
    assert probabilities.shape == (3, 3) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-5), path
    print(path, "runs: labels", label.tolist(), "probabilities", probabilities.dtype)

    ops = Counter(f"{n.domain}:{n.op_type}" if n.domain else n.op_type for n in model.graph.node)
    params = sum(int(np.prod(t.dims)) for t in model.graph.initializer)
    size = str(os.path.getsize(path))
    if "/" in path:
        size += f" + {os.path.getsize(os.path.join(os.path.dirname(path), 'weights.bin'))} (weights.bin)"
    with open(path, "rb") as file:
        sha = hashlib.sha256(file.read()).hexdigest()
    rows.append((
        f"`{path}`", size, ", ".join(f"{o.domain or 'ai.onnx'} {o.version}" for o in model.opset_import),
        io(model.graph.input), io(model.graph.output),
        ", ".join(f"{op} {count}" for op, count in sorted(ops.items())),
        f"{len(model.graph.initializer)} ({params} values)", f"`{sha[:16]}`",
    ))

print()
print("| file | bytes | opsets | inputs | outputs | ops (count) | initializers | sha256 (first 16) |")
print("| --- | ---: | --- | --- | --- | --- | --- | --- |")
for row in rows:
    print("| " + " | ".join(row) + " |")
