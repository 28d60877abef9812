"""Writes the hand-built ONNX seeds in Corpus/onnx/ that the test fixtures do not cover:
subgraphs (If, Loop), sparse initializers, typed-field and sub-byte initializers, Constant
nodes, ai.onnx.ml trained attributes, and external data with offsets.

Run from this directory: python3 make_onnx_seeds.py   (needs `pip install onnx numpy`).
The fuzzer only reads the committed output. Each seed stays under 4 KB.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join("Corpus", "onnx")


def save(model, name, check=True):
    if check:
        onnx.checker.check_model(model)
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    size = os.path.getsize(path)
    assert size < 4096, (name, size)
    print(path, size, "bytes")


def model(graph, opsets=(("", 17),), ir=8):
    m = helper.make_model(graph, producer_name="warden-fuzz-seeds",
                          opset_imports=[helper.make_opsetid(d, v) for d, v in opsets])
    m.ir_version = ir
    return m


rng = np.random.default_rng(7)
f32 = lambda *shape: rng.standard_normal(shape).astype(np.float32)

# If with then/else branches and a Loop with a body, all reading outer-scope names.
def control_flow(use_w_first):
    then_g = helper.make_graph([helper.make_node("Add", ["x", "w"], ["t"])], "then", [],
                               [helper.make_tensor_value_info("t", TensorProto.FLOAT, ["batch", 4])])
    else_g = helper.make_graph([helper.make_node("Sub", ["x", "w"], ["e"])], "else", [],
                               [helper.make_tensor_value_info("e", TensorProto.FLOAT, ["batch", 4])])
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("Mul", ["acc_in", "w"], ["acc_out"])],
        "body",
        [helper.make_tensor_value_info("iter", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc_in", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, ["batch", 4])],
    )
    nodes = [helper.make_node("If", ["flag"], ["y"], then_branch=then_g, else_branch=else_g, name="branch"),
             helper.make_node("Loop", ["trips", "", "y"], ["z"], body=body, name="loop")]
    if use_w_first:
        nodes.insert(0, helper.make_node("Mul", ["flag_f", "w"], ["unused"], name="use_w"))
    graph = helper.make_graph(
        nodes,
        "control-flow",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4]),
         helper.make_tensor_value_info("flag", TensorProto.BOOL, []),
         helper.make_tensor_value_info("trips", TensorProto.INT64, [])]
        + ([helper.make_tensor_value_info("flag_f", TensorProto.FLOAT, [])] if use_w_first else []),
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 4])],
        initializer=[numpy_helper.from_array(f32(4), "w")],
    )
    return model(graph)


# The main graph reads the initializer 'w' before the If: Warden inspects this one.
save(control_flow(use_w_first=True), "seed-if-loop.onnx")
# Only the subgraphs read 'w'. Valid ONNX (onnx.checker full_check and onnxruntime accept it),
# but Warden rejects it with invalidGraph: see Fuzz/README.md, "Findings".
save(control_flow(use_w_first=False), "seed-subgraph-outer-initializer.onnx")

# A sparse initializer, a Constant with a tensor and one with a sparse value.
sparse = helper.make_sparse_tensor(
    numpy_helper.from_array(f32(3), "sw"),
    numpy_helper.from_array(np.array([0, 5, 10], dtype=np.int64), "sw_indices"),
    [4, 4],
)
graph = helper.make_graph(
    [helper.make_node("Constant", [], ["c"], value=numpy_helper.from_array(f32(4), "cv")),
     helper.make_node("Constant", [], ["s"], sparse_value=helper.make_sparse_tensor(
         numpy_helper.from_array(np.array([1.5], dtype=np.float32), "sv"),
         numpy_helper.from_array(np.array([2], dtype=np.int64), "si"), [4])),
     helper.make_node("MatMul", ["x", "sw"], ["m"]),
     helper.make_node("Add", ["m", "c"], ["a"]),
     helper.make_node("Add", ["a", "s"], ["y"])],
    "sparse",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])],
    sparse_initializer=[sparse],
)
save(model(graph), "seed-sparse-constant.onnx")

# Initializers stored in the typed fields (not raw_data), and the odd element types.
typed = [
    helper.make_tensor("t_float", TensorProto.FLOAT, [2, 2], [1.0, 2.0, 3.0, 4.0]),
    helper.make_tensor("t_double", TensorProto.DOUBLE, [2], [0.5, -0.5]),
    helper.make_tensor("t_int64", TensorProto.INT64, [3], [1, -2, 3]),
    helper.make_tensor("t_uint64", TensorProto.UINT64, [1], [2**63]),
    helper.make_tensor("t_int8", TensorProto.INT8, [3], [-1, 0, 1]),
    helper.make_tensor("t_uint16", TensorProto.UINT16, [2], [7, 65535]),
    helper.make_tensor("t_bool", TensorProto.BOOL, [2], [True, False]),
    helper.make_tensor("t_half", TensorProto.FLOAT16, [2], np.array([1.0, 2.0], dtype=np.float16).view(np.uint16).tolist()),
    helper.make_tensor("t_bf16", TensorProto.BFLOAT16, [1], [16256]),
    helper.make_tensor("t_int4", TensorProto.INT4, [3], [1, -2, 7]),
    helper.make_tensor("t_uint4", TensorProto.UINT4, [5], [1, 2, 3, 4, 15]),
    helper.make_tensor("t_string", TensorProto.STRING, [2], [b"cat", b"dog"]),
    helper.make_tensor("t_complex", TensorProto.COMPLEX64, [1], [complex(1.0, -1.0)]),
    helper.make_tensor("t_f8", TensorProto.FLOAT8E4M3FN, [2], [0.5, 1.0]),
    helper.make_tensor("t_scalar", TensorProto.FLOAT, [], [3.0]),
    helper.make_tensor("t_empty", TensorProto.FLOAT, [0, 3], []),
    helper.make_tensor("t_raw", TensorProto.INT32, [2], np.array([5, 6], dtype=np.int32).tobytes(), raw=True),
]
graph = helper.make_graph(
    [helper.make_node("Identity", [t.name], [t.name + "_out"]) for t in typed],
    "typed",
    [],
    [helper.make_tensor_value_info(t.name + "_out", t.data_type, list(t.dims)) for t in typed],
    initializer=typed,
)
save(model(graph, opsets=(("", 21),), ir=10), "seed-typed-fields.onnx")

# ai.onnx.ml nodes whose attributes hold trained values.
graph = helper.make_graph(
    [helper.make_node("Scaler", ["x"], ["xs"], domain="ai.onnx.ml", offset=[0.1, 0.2, 0.3], scale=[2.0, 2.0, 2.0]),
     helper.make_node("LinearClassifier", ["xs"], ["label", "scores"], domain="ai.onnx.ml",
                      coefficients=f32(6).tolist(), intercepts=[0.5, -0.5], classlabels_ints=[0, 1]),
     helper.make_node("SVMClassifier", ["x"], ["svm_label", "svm_scores"], domain="ai.onnx.ml",
                      classlabels_ints=[0, 1], coefficients=[1.0, -1.0], support_vectors=f32(6).tolist(),
                      vectors_per_class=[1, 1], rho=[0.1], kernel_type="RBF", kernel_params=[0.5, 0.0, 3.0]),
     helper.make_node("TreeEnsembleRegressor", ["x"], ["reg"], domain="ai.onnx.ml", n_targets=1,
                      nodes_treeids=[0, 0, 0], nodes_nodeids=[0, 1, 2], nodes_featureids=[0, 0, 0],
                      nodes_values=[0.5, 0.0, 0.0], nodes_modes=["BRANCH_LEQ", "LEAF", "LEAF"],
                      nodes_truenodeids=[1, 0, 0], nodes_falsenodeids=[2, 0, 0],
                      target_treeids=[0, 0], target_nodeids=[1, 2], target_ids=[0, 0], target_weights=[1.0, -1.0])],
    "ml",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])],
    [helper.make_tensor_value_info("label", TensorProto.INT64, ["batch"]),
     helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["batch", 2]),
     helper.make_tensor_value_info("svm_label", TensorProto.INT64, ["batch"]),
     helper.make_tensor_value_info("svm_scores", TensorProto.FLOAT, ["batch", 2]),
     helper.make_tensor_value_info("reg", TensorProto.FLOAT, ["batch", 1])],
)
save(model(graph, opsets=(("", 17), ("ai.onnx.ml", 3))), "seed-ml-attributes.onnx")

# External data at offsets inside ExternalData/weights.bin (556 bytes), which run.sh puts in
# the fuzzer's working directory: one tensor with a length, one running to the file's end;
# then a model whose locations the resolver must refuse.
def external(name, dims, location, offset, length=None):
    t = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=dims, data_location=TensorProto.EXTERNAL)
    entries = {"location": location, "offset": str(offset)}
    if length is not None:
        entries["length"] = str(length)
    for k, v in entries.items():
        t.external_data.add(key=k, value=v)
    return t


def external_graph(name, initializers):
    return helper.make_graph(
        [helper.make_node("Gemm", ["x", "ew", "eb"], ["y"])],
        name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 8])],
        initializer=initializers,
    )


save(model(external_graph("external", [external("ew", [4, 8], "weights.bin", 0, 128),
                                       external("eb", [8], "weights.bin", 524)])),
     "seed-external-offsets.onnx", check=False)
save(model(external_graph("external-refused", [external("ew", [4, 8], "weights.bin", 4096, 128),
                                               external("eb", [8], "../weights.bin", 0, 32)])),
     "seed-external-refused.onnx", check=False)
