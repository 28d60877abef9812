"""Writes the models bench/onnx-cnn.sh times, with random weights (seeded).

    python3 bench/onnx_cnn_models.py OUT_DIR

- mlp.onnx: 784-512-256-10, Gemm (transB, as PyTorch exports Linear) + Relu, Softmax.
- mnist-cnn.onnx: [N, 1, 28, 28] → Conv 5×5 32 + BN + Relu → MaxPool 2 → Conv 5×5 64 + BN + Relu
  → MaxPool 2 → Flatten → Gemm 1024→128 + Relu → Gemm 10.
- resnet18.onnx: [N, 3, 224, 224], the ResNet-18 layout: Conv 7×7/2 + BN + Relu, MaxPool 3×3/2,
  4 stages × 2 basic blocks (Conv 3×3 + BN + Relu, Conv 3×3 + BN, residual Add, Relu; a 1×1/2
  Conv + BN on the shortcut where the shape changes), GlobalAveragePool, Gemm 1000.

The batch dimension is symbolic ("N"), so one file serves every batch size.
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(7)


class Graph:
    def __init__(self):
        self.nodes, self.inits, self.count = [], [], 0

    def name(self, prefix):
        self.count += 1
        return f"{prefix}{self.count}"

    def const(self, prefix, array):
        name = self.name(prefix)
        self.inits.append(numpy_helper.from_array(array.astype(np.float32), name))
        return name

    def op(self, op_type, inputs, **attrs):
        out = self.name(op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out

    def conv_bn(self, x, cin, cout, k, stride=1, relu=True):
        w = rng.standard_normal((cout, cin, k, k)) * np.sqrt(2.0 / (cin * k * k))
        y = self.op("Conv", [x, self.const("w", w)], kernel_shape=[k, k], strides=[stride, stride], pads=[k // 2] * 4)
        y = self.op("BatchNormalization", [
            y,
            self.const("gamma", 1 + 0.1 * rng.standard_normal(cout)),
            self.const("beta", 0.1 * rng.standard_normal(cout)),
            self.const("mean", 0.1 * rng.standard_normal(cout)),
            self.const("var", 1 + 0.1 * np.abs(rng.standard_normal(cout))),
        ], epsilon=1e-5)
        return self.op("Relu", [y]) if relu else y

    def gemm(self, x, fin, fout, relu):
        w = rng.standard_normal((fout, fin)) * np.sqrt(2.0 / fin)
        y = self.op("Gemm", [x, self.const("fc", w), self.const("bias", 0.01 * rng.standard_normal(fout))], transB=1)
        return self.op("Relu", [y]) if relu else y

    def save(self, path, input_shape, output, output_width):
        graph = helper.make_graph(
            self.nodes, "bench",
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N"] + input_shape)],
            [helper.make_tensor_value_info(output, TensorProto.FLOAT, ["N", output_width])],
            self.inits,
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        onnx.checker.check_model(model)
        onnx.save(model, path)


def mlp(path):
    g = Graph()
    x = g.gemm("input", 784, 512, relu=True)
    x = g.gemm(x, 512, 256, relu=True)
    x = g.gemm(x, 256, 10, relu=False)
    g.save(path, [784], g.op("Softmax", [x], axis=1), 10)


def mnist_cnn(path):
    g = Graph()
    x = g.conv_bn("input", 1, 32, 5)
    x = g.op("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])
    x = g.conv_bn(x, 32, 64, 5)
    x = g.op("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])
    x = g.op("Flatten", [x], axis=1)
    x = g.gemm(x, 64 * 7 * 7, 128, relu=True)
    g.save(path, [1, 28, 28], g.gemm(x, 128, 10, relu=False), 10)


def resnet18(path):
    g = Graph()
    x = g.conv_bn("input", 3, 64, 7, stride=2)
    x = g.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    cin = 64
    for stage, cout in enumerate([64, 128, 256, 512]):
        for block in range(2):
            stride = 2 if stage > 0 and block == 0 else 1
            y = g.conv_bn(x, cin, cout, 3, stride)
            y = g.conv_bn(y, cout, cout, 3, 1, relu=False)
            shortcut = g.conv_bn(x, cin, cout, 1, stride, relu=False) if stride != 1 or cin != cout else x
            x = g.op("Relu", [g.op("Add", [y, shortcut])])
            cin = cout
    x = g.op("Flatten", [g.op("GlobalAveragePool", [x])], axis=1)
    g.save(path, [3, 224, 224], g.gemm(x, 512, 1000, relu=False), 1000)


if __name__ == "__main__":
    out = sys.argv[1]
    mlp(f"{out}/mlp.onnx")
    mnist_cnn(f"{out}/mnist-cnn.onnx")
    resnet18(f"{out}/resnet18.onnx")
