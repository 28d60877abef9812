"""Vendors ONNX's own backend test cases that Warden's executor claims to support.

Run from this directory: python3 vendor.py   (needs the `onnx` PyPI package).
Scans onnx/backend/test/data/{simple,pytorch-operator,pytorch-converted} in the
installed onnx package. A case is *supported* when every node's (domain, op) is
in SUPPORTED below (the executor's kernel table, Sources/WardenONNX/Runtime)
and its tensors are float32/float64/int64/bool; those cases are copied here with
model.onnx and test_data_set_*/ (input_*.pb, output_*.pb). It writes
summary.json with the totals, which docs/onnx-conformance.md reports.
`swift test` runs the copied cases; it never needs Python.
"""
import json
import os
import shutil

import onnx

SUPPORTED = {
    "Add", "Sub", "Mul", "Div", "Pow", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Exp", "Log", "Sqrt", "Neg", "Abs",
    "Erf", "Softplus", "Identity", "Dropout", "MatMul", "Gemm", "Softmax", "LogSoftmax", "ArgMax", "Reshape",
    "Flatten", "Cast", "Constant", "Shape", "Transpose", "Concat", "Unsqueeze", "Squeeze",
    "Elu", "Selu", "Gelu", "Sign", "Softsign", "Reciprocal", "Floor", "Ceil", "Shrink", "Clip", "PRelu",
    "Max", "Min", "Sum", "Mean", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "Where",
    "Size", "ConstantOfShape", "Range", "Gather", "Slice", "Expand", "Tile",
    "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin",
    "Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "BatchNormalization",
    "LayerNormalization", "InstanceNormalization", "LRN", "Pad", "Split", "ConvTranspose",
    "ai.onnx.ml.Scaler", "ai.onnx.ml.Normalizer", "ai.onnx.ml.LinearClassifier", "ai.onnx.ml.ArrayFeatureExtractor",
    "ai.onnx.ml.TreeEnsembleClassifier", "ai.onnx.ml.TreeEnsembleRegressor",
}
# Ops limited to some spatial ranks (none now: Conv runs on 1-D, 2-D and 3-D inputs).
PLANAR_ONLY = set()
TYPES = {onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.INT64, onnx.TensorProto.BOOL}
SUITES = ["simple", "pytorch-operator", "pytorch-converted"]

root = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data")
here = os.path.dirname(os.path.abspath(__file__))
summary = {"onnx": onnx.__version__, "suites": {}}
for suite in SUITES:
    shutil.rmtree(os.path.join(here, suite), ignore_errors=True)
    cases = sorted(os.listdir(os.path.join(root, suite)))
    supported = []
    too_large = []
    for case in cases:
        source = os.path.join(root, suite, case)
        model = onnx.load(os.path.join(source, "model.onnx"))
        ops = {n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}.{n.op_type}" for n in model.graph.node}
        types = {v.type.tensor_type.elem_type for v in list(model.graph.input) + list(model.graph.output)}
        ranks = {len(v.type.tensor_type.shape.dim) for v in model.graph.input}
        spatial_ok = not (ops & PLANAR_ONLY) or max(ranks, default=0) <= 4
        if ops <= SUPPORTED and types <= TYPES and spatial_ok:
            size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(source) for f in fs)
            if size > 512 * 1024:
                too_large.append(case)  # supported, but kept out of the repository
                continue
            supported.append(case)
            target = os.path.join(here, suite, case)
            shutil.copytree(source, target)
    summary["suites"][suite] = {"total": len(cases), "supported": supported, "supported_not_vendored_size": too_large}
    print(suite, len(cases), "cases,", len(supported), "supported and vendored,", len(too_large), "supported but over 512 KiB")
with open(os.path.join(here, "summary.json"), "w") as f:
    json.dump(summary, f, indent=1, sort_keys=True)
