"""Vendors ONNX's per-operator `node` backend test cases for the ops Warden's executor runs.

Run from this directory: python3 vendor_node.py   (needs the `onnx` PyPI package, 1.23.2).
The onnx wheel no longer ships onnx/backend/test/data/node, but it ships the Python
that ONNX generates that folder from (onnx/backend/test/case/node/*.py, each case an
`expect(node, inputs, outputs, name)` with NumPy reference outputs). This script
collects those cases, exactly as ONNX's own data generator does, with NumPy's
random generator seeded so a re-run writes the same bytes.

A case is copied into node/<case>/ (model.onnx, test_data_set_0/input_*.pb,
output_*.pb, written as ONNX's `cmd_tools.py generate-data` writes them) when every
node's (domain, op) is in OPS below and its files add up to at most SIZE_LIMIT bytes.
OPS is the executor's kernel table (`Kernels.all` in Sources/WardenONNX/Runtime/Kernel.swift);
`NodeConformanceTests` fails when the two differ, so a new kernel means a re-run.
node.json records the onnx version, OPS, the limit, every vendored case with its ops,
and the supported cases left out for size. `swift test` never needs Python.
"""
import json
import os
import shutil

import numpy as np
import onnx
from onnx import numpy_helper

OPS = sorted({
    "Abs", "Add", "ArgMax", "AveragePool", "BatchNormalization", "Cast", "Ceil", "Clip", "Concat", "Constant",
    "ConstantOfShape", "Conv", "ConvTranspose", "Div", "Dropout", "Elu", "Equal", "Erf", "Exp", "Expand", "Flatten",
    "Floor", "Gather", "Gelu", "Gemm", "GlobalAveragePool", "GlobalMaxPool", "Greater", "GreaterOrEqual", "Identity",
    "InstanceNormalization", "LRN", "LayerNormalization", "LeakyRelu", "Less", "LessOrEqual", "Log", "LogSoftmax",
    "MatMul", "Max", "MaxPool", "Mean", "Min", "Mul", "Neg", "Not", "PRelu", "Pad", "Pow", "Range", "Reciprocal",
    "ReduceMax", "ReduceMean", "ReduceMin", "ReduceSum", "Relu", "Reshape", "Selu", "Shape", "Shrink", "Sigmoid",
    "Sign", "Size", "Slice", "Softmax", "Softplus", "Softsign", "Split", "Sqrt", "Squeeze", "Sub", "Sum", "Tanh",
    "Tile", "Transpose", "Unsqueeze", "Where",
    "ai.onnx.ml.ArrayFeatureExtractor", "ai.onnx.ml.LinearClassifier", "ai.onnx.ml.LinearRegressor",
    "ai.onnx.ml.Normalizer", "ai.onnx.ml.Scaler", "ai.onnx.ml.TreeEnsembleClassifier",
    "ai.onnx.ml.TreeEnsembleRegressor",
})
SIZE_LIMIT = 64 * 1024  # bytes per case: model.onnx and its test data together


def key(node):
    return node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}"


def serialize(value, value_info):
    """A data-set value as ONNX's generator writes it (tensors only: sequence, map and optional ops are not run)."""
    if isinstance(value, onnx.TensorProto):
        return value.SerializeToString()
    return numpy_helper.from_array(value, value_info.name).SerializeToString()


def files(case):
    """The case's files as {relative path: bytes}."""
    out = {"model.onnx": case.model.SerializeToString()}
    for index, (inputs, outputs) in enumerate(case.data_sets):
        for j, value in enumerate(inputs):
            out[f"test_data_set_{index}/input_{j}.pb"] = serialize(value, case.model.graph.input[j])
        for j, value in enumerate(outputs):
            out[f"test_data_set_{index}/output_{j}.pb"] = serialize(value, case.model.graph.output[j])
    return out


def main():
    np.random.seed(0)
    import onnx.backend.test.case.node as node_cases

    cases = sorted(node_cases.collect_testcases(), key=lambda c: c.name)
    here = os.path.dirname(os.path.abspath(__file__))
    target = os.path.join(here, "node")
    shutil.rmtree(target, ignore_errors=True)
    supported, vendored, too_large, not_tensors = set(OPS), {}, {}, []
    for case in cases:
        ops = sorted({key(n) for n in case.model.graph.node})
        if not set(ops) <= supported:
            continue
        graph = case.model.graph
        if not all(v.type.HasField("tensor_type") for v in list(graph.input) + list(graph.output)):
            not_tensors.append(case.name)  # a sequence or optional value: Warden's executor runs tensors only
            continue
        contents = files(case)
        size = sum(len(b) for b in contents.values())
        if size > SIZE_LIMIT:
            too_large[case.name] = size
            continue
        vendored[case.name] = ops
        for path, data in contents.items():
            os.makedirs(os.path.dirname(os.path.join(target, case.name, path)), exist_ok=True)
            with open(os.path.join(target, case.name, path), "wb") as f:
                f.write(data)
    summary = {
        "onnx": onnx.__version__, "ops": OPS, "size_limit": SIZE_LIMIT, "total": len(cases),
        "vendored": vendored, "supported_not_vendored_size": too_large, "supported_not_tensors": not_tensors,
    }
    with open(os.path.join(here, "node.json"), "w") as f:
        json.dump(summary, f, indent=1, sort_keys=True)
    print(len(cases), "node cases,", len(vendored), "vendored,", len(too_large), "supported but over", SIZE_LIMIT, "bytes:", ", ".join(sorted(too_large)))


if __name__ == "__main__":
    main()
