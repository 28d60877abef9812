"""Builds half/model.onnx: a float16 model for the V2 datatype tests, with onnx.helper.

input float16 [batch, 4] -> Cast(float) -> Gemm 4->3 -> Softmax -> Cast(float16) -> probabilities float16 [batch, 3]
    python3 make_half.py
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(5)
graph = helper.make_graph(
    [
        helper.make_node("Cast", ["input"], ["x"], to=TensorProto.FLOAT),
        helper.make_node("Gemm", ["x", "w", "b"], ["logits"], transB=1),
        helper.make_node("Softmax", ["logits"], ["p"], axis=1),
        helper.make_node("Cast", ["p"], ["probabilities"], to=TensorProto.FLOAT16),
    ],
    "half",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT16, ["batch", 4])],
    [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT16, ["batch", 3])],
    [numpy_helper.from_array(rng.standard_normal((3, 4)).astype(np.float32), "w"), numpy_helper.from_array(np.zeros(3, np.float32), "b")],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="warden-fixtures")
onnx.checker.check_model(model)
onnx.save(model, "half/model.onnx")
