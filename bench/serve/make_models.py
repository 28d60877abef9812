"""Builds the benchmark repository for bench/serve.sh with onnx.helper and numpy.

    python3 make_models.py OUT

OUT/mlp/1/model.onnx: 4 -> 64 -> 64 -> 3 MLP (Gemm, Relu, Softmax), dynamic batch.
OUT/cnn/1/model.onnx: MNIST-size CNN on 1x28x28: Conv 8 3x3 + Relu + MaxPool,
Conv 16 3x3 + Relu + MaxPool, Flatten, Gemm 10, Softmax; dynamic batch.
Each version gets a warden.yaml with dynamic batching on, and request bodies
(JSON and binary) are written beside the repository.
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
rng = np.random.default_rng(7)


def init(name, *shape):
    return numpy_helper.from_array((rng.standard_normal(shape) * 0.1).astype(np.float32), name)


def save(graph, name):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="warden-bench")
    onnx.checker.check_model(model)
    os.makedirs(f"{out}/repository/{name}/1", exist_ok=True)
    onnx.save(model, f"{out}/repository/{name}/1/model.onnx")
    with open(f"{out}/repository/{name}/1/warden.yaml", "w") as card:
        card.write(f"name: {name}\nserving:\n  max_batch_size: 64\n  max_queue_delay_microseconds: 100\n  max_queue_size: 4096\n")


mlp = helper.make_graph(
    [
        helper.make_node("Gemm", ["input", "w1", "b1"], ["h1"], transB=1),
        helper.make_node("Relu", ["h1"], ["r1"]),
        helper.make_node("Gemm", ["r1", "w2", "b2"], ["h2"], transB=1),
        helper.make_node("Relu", ["h2"], ["r2"]),
        helper.make_node("Gemm", ["r2", "w3", "b3"], ["logits"], transB=1),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
    ],
    "mlp",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 4])],
    [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 3])],
    [init("w1", 64, 4), init("b1", 64), init("w2", 64, 64), init("b2", 64), init("w3", 3, 64), init("b3", 3)],
)
save(mlp, "mlp")

cnn = helper.make_graph(
    [
        helper.make_node("Conv", ["input", "c1", "cb1"], ["a1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["a1"], ["r1"]),
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "c2", "cb2"], ["a2"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["a2"], ["r2"]),
        helper.make_node("MaxPool", ["r2"], ["p2"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p2"], ["f"], axis=1),
        helper.make_node("Gemm", ["f", "w", "b"], ["logits"], transB=1),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
    ],
    "cnn",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 1, 28, 28])],
    [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 10])],
    [init("c1", 8, 1, 3, 3), init("cb1", 8), init("c2", 16, 8, 3, 3), init("cb2", 16), init("w", 10, 16 * 7 * 7), init("b", 10)],
)
save(cnn, "cnn")

for name, shape in (("mlp", [1, 4]), ("cnn", [1, 1, 28, 28])):
    x = rng.standard_normal(shape).astype(np.float32)
    np.save(f"{out}/{name}-input.npy", x)
    request = {"inputs": [{"name": "input", "shape": shape, "datatype": "FP32", "data": x.flatten().tolist()}]}
    with open(f"{out}/{name}.json", "wb") as f:
        f.write(json.dumps(request).encode())
    header = json.dumps({
        "inputs": [{"name": "input", "shape": shape, "datatype": "FP32", "parameters": {"binary_data_size": x.nbytes}}],
        "outputs": [{"name": "probabilities", "parameters": {"binary_data": True}}],
    }).encode()
    with open(f"{out}/{name}.bin", "wb") as f:
        f.write(header + x.tobytes())
    with open(f"{out}/{name}.bin.header", "w") as f:
        f.write(str(len(header)))
