"""A model whose weights are ONNX external data, for the executor's mapped weights.

Run from this directory: python3 make_external.py   (needs onnx, onnxruntime, numpy).
It builds, with onnx.helper, ids [batch, 4] (int64) -> Gather(table [50, 8]) ->
MatMul(W [8, 6]) -> Add(bias [6]) -> ReduceMean(axis 1) -> + ReduceSum(Cast(pad)),
where pad is a uint8 [3] initializer, and saves it with onnx.save_model(...,
save_as_external_data=True, size_threshold=0): every initializer goes to
weights.bin in order, so the table starts at offset 0 (aligned, read in place)
and W at 1603 (not a multiple of 4, so the executor copies it). onnxruntime's
output for a fixed input is saved beside it.
"""
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "embedding-external")
os.makedirs(OUT, exist_ok=True)
for name in ("model.onnx", "weights.bin"):
    if os.path.exists(os.path.join(OUT, name)):
        os.remove(os.path.join(OUT, name))

rng = np.random.default_rng(23)
initializers = [
    numpy_helper.from_array(rng.standard_normal((50, 8)).astype(np.float32), "table"),
    numpy_helper.from_array(np.array([1, 2, 4], dtype=np.uint8), "pad"),
    numpy_helper.from_array(rng.standard_normal((8, 6)).astype(np.float32), "W"),
    numpy_helper.from_array(rng.standard_normal(6).astype(np.float32), "bias"),
]
nodes = [
    helper.make_node("Gather", ["table", "ids"], ["embedded"], axis=0),
    helper.make_node("MatMul", ["embedded", "W"], ["projected"]),
    helper.make_node("Add", ["projected", "bias"], ["biased"]),
    helper.make_node("ReduceMean", ["biased"], ["pooled"], axes=[1], keepdims=0),
    helper.make_node("Cast", ["pad"], ["pad_float"], to=TensorProto.FLOAT),
    helper.make_node("ReduceSum", ["pad_float"], ["offset"], keepdims=0),
    helper.make_node("Add", ["pooled", "offset"], ["output"]),
]
graph = helper.make_graph(
    nodes, "embedding", [helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch", 4])],
    [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 6])], initializers,
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
onnx.checker.check_model(model)
onnx.save_model(model, os.path.join(OUT, "model.onnx"), save_as_external_data=True,
                all_tensors_to_one_file=True, location="weights.bin", size_threshold=0)

saved = onnx.load(os.path.join(OUT, "model.onnx"), load_external_data=False)
for tensor in saved.graph.initializer:
    print(tensor.name, {entry.key: entry.value for entry in tensor.external_data})

ids = rng.integers(0, 50, size=(3, 4)).astype(np.int64)
ids[0, 0] = 49
session = ort.InferenceSession(os.path.join(OUT, "model.onnx"), providers=["CPUExecutionProvider"])
(output,) = session.run(None, {"ids": ids})
np.save(os.path.join(OUT, "input.npy"), ids)
np.save(os.path.join(OUT, "output.npy"), output)
print("output", output.shape, "onnx", onnx.__version__, "onnxruntime", ort.__version__, "numpy", np.__version__)
