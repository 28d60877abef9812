"""Expected outputs for Warden's Swift executor, computed by onnxruntime.

Run from this directory: python3 make_expected.py   (needs onnx, onnxruntime, numpy).
For each case it writes CASE/input.npy (5 rows, fixed seed) and CASE/<output>.npy
as onnxruntime (CPU) computes them. `swift test` only reads the committed files.
"""
import os

import numpy as np
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..", "models")
SKLEARN = os.path.join(HERE, "..", "..", "..", "WardenModelTests", "Fixtures", "sklearn")

CASES = {
    "mlp-v1": os.path.join(MODELS, "mlp-v1.onnx"),
    "mlp-external": os.path.join(MODELS, "mlp-external", "model.onnx"),
    "sklearn-logreg": os.path.join(SKLEARN, "logreg-a.onnx"),
    "sklearn-mlp-1layer": os.path.join(SKLEARN, "mlp-1layer.onnx"),
    "sklearn-mlp-2layer-external": os.path.join(SKLEARN, "mlp-2layer-external", "model.onnx"),
}

rng = np.random.default_rng(7)
for case, path in CASES.items():
    os.makedirs(os.path.join(HERE, case), exist_ok=True)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    (inp,) = session.get_inputs()
    x = rng.standard_normal((5, 4)).astype(np.float32)
    np.save(os.path.join(HERE, case, "input.npy"), x)
    for meta, value in zip(session.get_outputs(), session.run(None, {inp.name: x})):
        np.save(os.path.join(HERE, case, meta.name + ".npy"), np.ascontiguousarray(value))
        print(case, meta.name, value.dtype, value.shape)
print("onnxruntime", ort.__version__, "numpy", np.__version__)
