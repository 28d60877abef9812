"""Keras models converted by tf2onnx (a real exporter), and their onnxruntime outputs.

Needs its own virtualenv outside the repository (TensorFlow pins numpy<2 and
protobuf 3, which the other fixture scripts do not use):

  python3 -m venv /tmp/kerasenv
  /tmp/kerasenv/bin/pip install tensorflow-cpu==2.15.1 tf2onnx==1.16.1 "numpy<2" onnx==1.16.2 onnxruntime==1.18.1

which gave numpy 1.26.4, keras 2.15.0 and protobuf 3.20.3 on Python 3.11.7.
Run from this directory: /tmp/kerasenv/bin/python make_keras.py

Each model is built with tf.keras (weights from numpy.random.default_rng with a
fixed seed per case, so nothing depends on TensorFlow's random streams), then
converted with tf2onnx.convert.from_keras at opset 17 with a dynamic batch
dimension. The script writes keras/<case>.onnx, then keras-<case>/input.npy (a
batch of 2, seed 31) and keras-<case>/<output name>.npy as onnxruntime (CPU)
computes them. `swift test` only reads the committed files.

  mlp          [N, 20] -> Dense/ReLU x2, Dense/softmax
  mnist-cnn    [N, 28, 28, 1] (NHWC) -> Conv2D/ReLU, MaxPooling2D (x2, one 'same'), Flatten,
               Dense/ReLU, Dense/softmax
  resnet       [N, 224, 224, 3] (NHWC) -> 7x7 stride-2 'same' stem, BatchNormalization, ReLU,
               MaxPooling2D, three residual blocks (8 -> 16 channels, one with a strided 1x1
               projection, one with BatchNormalization after the Add), GlobalAveragePooling2D, Dense
  transformer  token ids [N, 16] int64 -> Embedding + positions, 2 post-norm encoder layers
               (d_model 32, 4 heads, FFN 64) with attention written with tf.matmul /
               tf.nn.softmax (Keras' MultiHeadAttention exports as Einsum), LayerNormalization,
               exact (Erf) GELU in the first layer and the tanh approximation in the second;
               outputs the hidden states and mean-pooled logits
"""
import os
import re

import numpy as np
import onnx
import onnxruntime as ort
import tensorflow as tf
import tf2onnx

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = 17
BATCH = 2
layers = tf.keras.layers


def randomize(model, seed):
    """Replaces every weight with numpy draws: He-scaled kernels, small biases, live BatchNorm stats."""
    rng = np.random.default_rng(seed)
    for weight in model.weights:
        shape, name = tuple(weight.shape), weight.name
        if "moving_variance" in name:
            value = rng.uniform(0.5, 1.5, shape)
        elif "gamma" in name:
            value = 1 + 0.1 * rng.standard_normal(shape)
        elif len(shape) >= 2 and "embeddings" not in name and "positions" not in name:
            value = rng.standard_normal(shape) * np.sqrt(2.0 / np.prod(shape[:-1]))
        elif len(shape) >= 2:
            value = rng.standard_normal(shape) * 0.5
        else:  # biases, beta, moving_mean
            value = 0.1 * rng.standard_normal(shape)
        weight.assign(value.astype(np.float32))
    return model


def mlp():
    x = inputs = layers.Input((20,), name="features")
    x = layers.Dense(32, activation="relu")(x)
    x = layers.Dense(16, activation="relu")(x)
    outputs = layers.Dense(5, activation="softmax", name="probabilities")(x)
    model = tf.keras.Model(inputs, outputs)
    return randomize(model, 1), tf.TensorSpec((None, 20), tf.float32, name="features")


def mnist_cnn():
    x = inputs = layers.Input((28, 28, 1), name="image")
    x = layers.Conv2D(4, 3, activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D(2, padding="same")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(32, activation="relu")(x)
    outputs = layers.Dense(10, activation="softmax", name="probabilities")(x)
    model = tf.keras.Model(inputs, outputs)
    return randomize(model, 2), tf.TensorSpec((None, 28, 28, 1), tf.float32, name="image")


def residual_block(x, channels, stride=1, norm_after_add=False):
    shortcut = x
    y = layers.Conv2D(channels, 3, strides=stride, padding="same", use_bias=False)(x)
    y = layers.BatchNormalization()(y)
    y = layers.ReLU()(y)
    y = layers.Conv2D(channels, 3, padding="same", use_bias=False)(y)
    if not norm_after_add:
        y = layers.BatchNormalization()(y)
    if stride != 1 or x.shape[-1] != channels:
        shortcut = layers.Conv2D(channels, 1, strides=stride, use_bias=False)(x)
        shortcut = layers.BatchNormalization()(shortcut)
    y = layers.Add()([y, shortcut])
    if norm_after_add:
        # Not after a Conv, so tf2onnx cannot fold it into the weights.
        y = layers.BatchNormalization()(y)
    return layers.ReLU()(y)


def resnet():
    x = inputs = layers.Input((224, 224, 3), name="image")
    x = layers.Conv2D(8, 7, strides=2, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    x = residual_block(x, 8)
    x = residual_block(x, 16, stride=2)
    x = residual_block(x, 16, norm_after_add=True)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(10, name="logits")(x)
    model = tf.keras.Model(inputs, outputs)
    return randomize(model, 3), tf.TensorSpec((None, 224, 224, 3), tf.float32, name="image")


class Positions(layers.Layer):
    """Adds a learned position embedding to [N, S, D]."""

    def build(self, shape):
        self.positions = self.add_weight(name="positions", shape=(shape[1], shape[2]))

    def call(self, x):
        return x + self.positions


class SelfAttention(layers.Layer):
    """Multi-head self-attention with tf.matmul and tf.nn.softmax, so tf2onnx emits MatMul/Softmax, not Einsum."""

    def __init__(self, heads, **kwargs):
        super().__init__(**kwargs)
        self.heads = heads

    def build(self, shape):
        d = shape[-1]
        self.qkv = layers.Dense(3 * d, name="qkv")
        self.out = layers.Dense(d, name="out")

    def split_heads(self, x, batch, seq):
        x = tf.reshape(x, tf.stack([batch, seq, self.heads, -1]))
        return tf.transpose(x, [0, 2, 1, 3])

    def call(self, x):
        batch, seq, d = tf.shape(x)[0], tf.shape(x)[1], x.shape[-1]
        q, k, v = tf.split(self.qkv(x), 3, axis=-1)
        q, k, v = (self.split_heads(t, batch, seq) for t in (q, k, v))
        scores = tf.matmul(q, k, transpose_b=True) * (1.0 / np.sqrt(d // self.heads))
        context = tf.matmul(tf.nn.softmax(scores, axis=-1), v)
        context = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), tf.stack([batch, seq, d]))
        return self.out(context)


def encoder_layer(x, approximate_gelu, name=None):
    d = x.shape[-1]
    x = layers.LayerNormalization(epsilon=1e-5)(x + SelfAttention(4)(x))
    y = layers.Dense(64)(x)
    y = layers.Lambda(lambda t: tf.nn.gelu(t, approximate=approximate_gelu))(y)
    y = layers.Dense(d)(y)
    return layers.LayerNormalization(epsilon=1e-5, name=name)(x + y)


def transformer():
    tokens = layers.Input((16,), dtype="int64", name="tokens")
    x = layers.Embedding(50, 32)(tokens)
    x = Positions()(x)
    x = encoder_layer(x, approximate_gelu=False)
    hidden = encoder_layer(x, approximate_gelu=True, name="hidden")
    logits = layers.Dense(6, name="logits")(layers.GlobalAveragePooling1D()(hidden))
    model = tf.keras.Model(tokens, [hidden, logits])
    return randomize(model, 4), tf.TensorSpec((None, 16), tf.int64, name="tokens")


def make_input(spec, rng):
    shape = (BATCH,) + tuple(spec.shape[1:])
    if spec.dtype == tf.int64:
        return rng.integers(0, 50, shape, dtype=np.int64)
    return rng.standard_normal(shape).astype(np.float32)


def export(case, build):
    model, spec = build()
    path = os.path.join(HERE, "keras", case + ".onnx")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    proto, _ = tf2onnx.convert.from_keras(model, input_signature=(spec,), opset=OPSET)
    onnx.checker.check_model(proto)
    onnx.save(proto, path)

    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    x = make_input(spec, np.random.default_rng(31))
    folder = os.path.join(HERE, "keras-" + case)
    os.makedirs(folder, exist_ok=True)
    np.save(os.path.join(folder, "input.npy"), x)
    values = session.run(None, {session.get_inputs()[0].name: x})
    keras_values = model(x, training=False)
    keras_values = keras_values if isinstance(keras_values, list) else [keras_values]
    for out, value, reference in zip(session.get_outputs(), values, keras_values):
        assert re.fullmatch(r"[A-Za-z0-9_.-]+", out.name), f"output name {out.name!r} is not a safe file name"
        assert np.allclose(value, reference.numpy(), atol=1e-4), f"{case} {out.name}: onnxruntime differs from Keras"
        np.save(os.path.join(folder, out.name + ".npy"), np.ascontiguousarray(value))
    ops = sorted({node.op_type for node in proto.graph.node})
    print(f"{case}: {os.path.getsize(path)} bytes, outputs {[o.name for o in session.get_outputs()]}, ops {ops}")


if __name__ == "__main__":
    for case, build in [("mlp", mlp), ("mnist-cnn", mnist_cnn), ("resnet", resnet), ("transformer", transformer)]:
        export(case, build)
