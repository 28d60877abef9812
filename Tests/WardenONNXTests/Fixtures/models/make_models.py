"""Builds Warden's ONNX test models with the real `onnx` exporter API.

Run from this directory: python3 make_models.py   (needs `pip install onnx numpy`).
`swift test` only reads the committed output and never needs Python.
"""
import os
import shutil

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def mlp(seed, hidden=8, extra_layer=False, input_dim=4, input_type=TensorProto.FLOAT):
    """A small MLP: x -> Gemm -> Relu -> Gemm -> Softmax, weights drawn with `seed`."""
    rng = np.random.default_rng(seed)
    dtype = np.float32
    inits = [
        numpy_helper.from_array(rng.standard_normal((input_dim, hidden)).astype(dtype), "fc1.weight"),
        numpy_helper.from_array(rng.standard_normal(hidden).astype(dtype), "fc1.bias"),
    ]
    nodes = []
    x = "input"
    if input_type != TensorProto.FLOAT:
        nodes.append(helper.make_node("Cast", ["input"], ["input_f"], to=TensorProto.FLOAT, name="cast"))
        x = "input_f"
    nodes += [
        helper.make_node("Gemm", [x, "fc1.weight", "fc1.bias"], ["h1"], name="fc1"),
        helper.make_node("Relu", ["h1"], ["a1"], name="relu1"),
    ]
    last = "a1"
    if extra_layer:
        inits += [
            numpy_helper.from_array(rng.standard_normal((hidden, hidden)).astype(dtype), "fc_extra.weight"),
            numpy_helper.from_array(rng.standard_normal(hidden).astype(dtype), "fc_extra.bias"),
        ]
        nodes += [
            helper.make_node("Gemm", ["a1", "fc_extra.weight", "fc_extra.bias"], ["h_extra"], name="fc_extra"),
            helper.make_node("Relu", ["h_extra"], ["a_extra"], name="relu_extra"),
        ]
        last = "a_extra"
    inits += [
        numpy_helper.from_array(rng.standard_normal((hidden, 3)).astype(dtype), "fc2.weight"),
        numpy_helper.from_array(rng.standard_normal(3).astype(dtype), "fc2.bias"),
    ]
    nodes += [
        helper.make_node("Gemm", [last, "fc2.weight", "fc2.bias"], ["logits"], name="fc2"),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1, name="softmax"),
    ]
    graph = helper.make_graph(
        nodes,
        "mlp",
        [helper.make_tensor_value_info("input", input_type, ["batch", input_dim])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 3])],
        initializer=inits,
    )
    model = helper.make_model(graph, producer_name="warden-fixtures", opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


def save(model, name):
    onnx.save(model, name)
    print(name, os.path.getsize(name), "bytes")


save(mlp(seed=1), "mlp-v1.onnx")                                   # baseline
save(mlp(seed=2), "mlp-v1-retrained.onnx")                         # same architecture, other weights: PATCH
save(mlp(seed=1, extra_layer=True), "mlp-extra-layer.onnx")        # a layer added: MINOR
save(mlp(seed=1, input_dim=5), "mlp-input-5.onnx")                 # input dim 4 -> 5: MAJOR
save(mlp(seed=1, input_type=TensorProto.DOUBLE), "mlp-input-double.onnx")  # input dtype float -> double: MAJOR

# External data: every initializer in weights.bin beside the graph.
shutil.rmtree("mlp-external", ignore_errors=True)
os.makedirs("mlp-external")
external = mlp(seed=3, hidden=16)
onnx.save_model(
    external, "mlp-external/model.onnx", save_as_external_data=True, all_tensors_to_one_file=True,
    location="weights.bin", size_threshold=0,
)
onnx.checker.check_model("mlp-external/model.onnx", full_check=True)
print("mlp-external/", sorted(os.listdir("mlp-external")))
