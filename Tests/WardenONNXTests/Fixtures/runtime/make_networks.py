"""Small real-shape networks built with the onnx exporter API, and their onnxruntime outputs.

Run from this directory: python3 make_networks.py   (needs onnx, onnxruntime, numpy).
torch is not installed here, so the graphs are written node by node with
onnx.helper, in the shapes torch.onnx.export gives these architectures
(opset 17), with weights from numpy.random.default_rng (fixed seeds). It writes
networks/<name>.onnx, then CASE/input.npy and CASE/<output name>.npy as
onnxruntime (CPU) computes them. `swift test` only reads the committed files.

  mnist-cnn            1x1x28x28 -> Conv, Relu, MaxPool (x2), Flatten, Gemm, Relu, MatMul, Add, Softmax
  resnet-mini          1x3x224x224 -> strided 7x7 stem, BatchNormalization, MaxPool, three residual
                       blocks (two with a strided 1x1 projection), GlobalAveragePool, Flatten, Gemm
  transformer-encoder  token ids [1, 16] -> Gather embedding + positions, 2 post-norm encoder layers
                       (d_model 32, 4 heads, FFN 64: fused QKV MatMul + Split, Reshape/Transpose,
                       scaled MatMul, Softmax, LayerNormalization, Erf GELU, residual Adds),
                       outputs the hidden states and mean-pooled logits
"""
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = 17


class Graph:
    """Collects nodes and initializers; names are unique by a running counter."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.initializers, self.count = [], [], 0

    def name(self, stem):
        self.count += 1
        return f"{stem}_{self.count}"

    def const(self, stem, value):
        name = self.name(stem)
        self.initializers.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def weight(self, stem, shape, fan_in):
        return self.const(stem, (self.rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32))

    def op(self, op_type, inputs, outputs=1, **attrs):
        names = [self.name(op_type.lower()) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, names, name=names[0], **attrs))
        return names[0] if outputs == 1 else names

    def conv(self, x, cin, cout, k, stride=1, pad=0, bias=True):
        w = self.weight("conv.weight", (cout, cin, k, k), cin * k * k)
        inputs = [x, w] + ([self.const("conv.bias", (self.rng.standard_normal(cout) * 0.1).astype(np.float32))] if bias else [])
        return self.op("Conv", inputs, kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4)

    def batchnorm(self, x, c):
        r = self.rng
        params = [
            (1 + 0.2 * r.standard_normal(c)).astype(np.float32),
            (0.1 * r.standard_normal(c)).astype(np.float32),
            (0.1 * r.standard_normal(c)).astype(np.float32),
            r.uniform(0.5, 1.5, c).astype(np.float32),
        ]
        names = [self.const(stem, p) for stem, p in zip(["bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"], params)]
        return self.op("BatchNormalization", [x] + names, epsilon=1e-5)

    def linear(self, x, fin, fout):
        w = self.weight("linear.weight", (fin, fout), fin)
        b = self.const("linear.bias", (self.rng.standard_normal(fout) * 0.1).astype(np.float32))
        return self.op("Add", [self.op("MatMul", [x, w]), b])

    def model(self, name, inputs, outputs):
        graph = helper.make_graph(self.nodes, name, inputs, outputs, self.initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="warden-fixtures")
        model.ir_version = 8
        onnx.checker.check_model(model, full_check=True)
        return model


def mnist_cnn():
    g = Graph(1)
    x = g.op("Relu", [g.conv("image", 1, 8, 3)])  # 8x26x26
    x = g.op("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])  # 8x13x13
    x = g.op("Relu", [g.conv(x, 8, 16, 3, pad=1)])  # 16x13x13
    x = g.op("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1)  # 16x7x7
    x = g.op("Flatten", [x], axis=1)
    w1 = g.weight("fc1.weight", (32, 784), 784)
    b1 = g.const("fc1.bias", np.zeros(32, np.float32))
    x = g.op("Relu", [g.op("Gemm", [x, w1, b1], transB=1)])
    x = g.linear(x, 32, 10)
    g.nodes.append(helper.make_node("Softmax", [x], ["probabilities"], name="softmax", axis=1))
    return g.model(
        "mnist_cnn",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, 28, 28])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [1, 10])],
    )


def resnet_mini():
    g = Graph(2)
    x = g.op("Relu", [g.batchnorm(g.conv("image", 3, 8, 7, stride=2, pad=3, bias=False), 8)])  # 8x112x112
    x = g.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])  # 8x56x56

    def block(x, cin, cout, stride):
        y = g.op("Relu", [g.batchnorm(g.conv(x, cin, cout, 3, stride=stride, pad=1, bias=False), cout)])
        y = g.batchnorm(g.conv(y, cout, cout, 3, pad=1, bias=False), cout)
        shortcut = x if stride == 1 and cin == cout else g.batchnorm(g.conv(x, cin, cout, 1, stride=stride, bias=False), cout)
        return g.op("Relu", [g.op("Add", [y, shortcut])])

    x = block(x, 8, 8, 1)  # 8x56x56
    x = block(x, 8, 16, 2)  # 16x28x28
    x = block(x, 16, 16, 2)  # 16x14x14
    x = g.op("Flatten", [g.op("GlobalAveragePool", [x])], axis=1)
    w = g.weight("fc.weight", (10, 16), 16)
    b = g.const("fc.bias", (g.rng.standard_normal(10) * 0.1).astype(np.float32))
    g.nodes.append(helper.make_node("Gemm", [x, w, b], ["logits"], name="fc", transB=1))
    return g.model(
        "resnet_mini",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 224, 224])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
    )


def transformer_encoder(vocab=50, seq=16, d=32, heads=4, ffn=64, layers=2):
    g = Graph(3)
    head = d // heads
    embedding = g.const("embedding.weight", (g.rng.standard_normal((vocab, d)) * 0.5).astype(np.float32))
    positions = g.const("position.weight", (g.rng.standard_normal((1, seq, d)) * 0.1).astype(np.float32))
    x = g.op("Add", [g.op("Gather", [embedding, "tokens"], axis=0), positions])  # [1, seq, d]
    split_sizes = g.const("qkv.split", np.array([d, d, d], np.int64))
    to_heads = g.const("shape.heads", np.array([1, seq, heads, head], np.int64))
    to_model = g.const("shape.model", np.array([1, seq, d], np.int64))
    scale = g.const("attention.scale", np.array(1 / np.sqrt(head), np.float32))
    sqrt_half = g.const("gelu.sqrt_half", np.array(1 / np.sqrt(2), np.float32))
    one = g.const("gelu.one", np.array(1, np.float32))
    half = g.const("gelu.half", np.array(0.5, np.float32))

    def layer_norm(x):
        w = g.const("norm.weight", (1 + 0.1 * g.rng.standard_normal(d)).astype(np.float32))
        b = g.const("norm.bias", (0.1 * g.rng.standard_normal(d)).astype(np.float32))
        return g.op("LayerNormalization", [x, w, b], axis=-1, epsilon=1e-5)

    for _ in range(layers):
        q, k, v = g.op("Split", [g.linear(x, d, 3 * d), split_sizes], outputs=3, axis=-1)
        q = g.op("Transpose", [g.op("Reshape", [q, to_heads])], perm=[0, 2, 1, 3])  # [1, h, seq, head]
        k = g.op("Transpose", [g.op("Reshape", [k, to_heads])], perm=[0, 2, 3, 1])  # [1, h, head, seq]
        v = g.op("Transpose", [g.op("Reshape", [v, to_heads])], perm=[0, 2, 1, 3])
        weights = g.op("Softmax", [g.op("Mul", [g.op("MatMul", [q, k]), scale])], axis=-1)
        attended = g.op("Reshape", [g.op("Transpose", [g.op("MatMul", [weights, v])], perm=[0, 2, 1, 3]), to_model])
        x = layer_norm(g.op("Add", [x, g.linear(attended, d, d)]))
        hidden = g.linear(x, d, ffn)
        # GELU as torch exports it: 0.5 · h · (1 + erf(h / √2)).
        gelu = g.op("Mul", [g.op("Mul", [hidden, g.op("Add", [g.op("Erf", [g.op("Mul", [hidden, sqrt_half])]), one])]), half])
        x = layer_norm(g.op("Add", [x, g.linear(gelu, ffn, d)]))
    g.nodes.append(helper.make_node("Identity", [x], ["hidden"], name="hidden"))
    pooled = g.op("ReduceMean", [x], axes=[1], keepdims=0)  # [1, d]
    w = g.weight("classifier.weight", (d, 4), d)
    b = g.const("classifier.bias", np.zeros(4, np.float32))
    g.nodes.append(helper.make_node("Add", [g.op("MatMul", [pooled, w]), b], ["logits"], name="classifier"))
    return g.model(
        "transformer_encoder",
        [helper.make_tensor_value_info("tokens", TensorProto.INT64, [1, seq])],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, [1, seq, d]),
         helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 4])],
    )


rng = np.random.default_rng(29)
CASES = {
    "mnist-cnn": (mnist_cnn, lambda: rng.uniform(0, 1, (1, 1, 28, 28)).astype(np.float32)),
    "resnet-mini": (resnet_mini, lambda: rng.standard_normal((1, 3, 224, 224)).astype(np.float32)),
    "transformer-encoder": (transformer_encoder, lambda: rng.integers(0, 50, (1, 16)).astype(np.int64)),
}

os.makedirs(os.path.join(HERE, "networks"), exist_ok=True)
for case, (build, make_input) in CASES.items():
    path = os.path.join(HERE, "networks", case + ".onnx")
    onnx.save(build(), path)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    (meta,) = session.get_inputs()
    x = make_input()
    os.makedirs(os.path.join(HERE, case), exist_ok=True)
    np.save(os.path.join(HERE, case, "input.npy"), x)
    for out, value in zip(session.get_outputs(), session.run(None, {meta.name: x})):
        np.save(os.path.join(HERE, case, out.name + ".npy"), np.ascontiguousarray(value))
        print(case, out.name, value.dtype, value.shape, f"{os.path.getsize(path)} bytes")
print("onnx", onnx.__version__, "onnxruntime", ort.__version__, "numpy", np.__version__)
