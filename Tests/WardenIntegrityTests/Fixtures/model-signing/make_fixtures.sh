#!/usr/bin/env bash
# Regenerates the model_signing interop fixtures in this directory.
# Needs: python3 with `pip install model-signing==1.1.1 pyopenssl onnx`, and openssl.
# Never run by the tests: `swift test` uses the committed output.
set -euo pipefail
cd "$(dirname "$0")"
rm -rf model keys *.sig
mkdir -p model/weights keys

# A tiny real ONNX model (Gemm 4->3 + Relu), built with the onnx package's helper API.
python3 - <<'PY'
import numpy as np, onnx
from onnx import helper, numpy_helper, TensorProto
w = numpy_helper.from_array(np.arange(12, dtype=np.float32).reshape(4, 3) / 10, name="W")
b = numpy_helper.from_array(np.array([0.1, -0.2, 0.3], dtype=np.float32), name="B")
graph = helper.make_graph(
    [helper.make_node("Gemm", ["x", "W", "B"], ["h"]), helper.make_node("Relu", ["h"], ["y"])],
    "tiny",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])],
    initializer=[w, b],
)
model = helper.make_model(graph, producer_name="warden-fixtures", opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, "model/model.onnx")
open("model/config.json", "w").write('{"architecture": "tiny-gemm-relu", "inputs": 4, "outputs": 3}\n')
open("model/weights/extra.bin", "wb").write(bytes(i * 7 % 251 for i in range(3000)))
open("model/README.txt", "w").write("Fixture model for Warden's model_signing interop tests.\n")
PY

# Test-only keys (PKCS#8 private, SubjectPublicKeyInfo public).
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out keys/signer.key
openssl pkey -in keys/signer.key -pubout -out keys/signer.pub
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out keys/signer384.key
openssl pkey -in keys/signer384.key -pubout -out keys/signer384.pub

# Files method and P-384 through the real CLI; shards and a single file through its Python API.
model_signing sign key model --private_key keys/signer.key --signature files.sig
model_signing sign key model --private_key keys/signer384.key --signature files-p384.sig
python3 - <<'PY'
import model_signing
model_signing.signing.Config().use_elliptic_key_signer(private_key="keys/signer.key").set_hashing_config(
    model_signing.hashing.Config().use_shard_serialization(shard_size=1024)
).sign("model", "shards.sig")
model_signing.signing.Config().use_elliptic_key_signer(private_key="keys/signer.key").sign(
    "model/model.onnx", "single-file.sig"
)
PY

# The real verifier accepts all of them.
model_signing verify key model --signature files.sig --public_key keys/signer.pub
model_signing verify key model --signature files-p384.sig --public_key keys/signer384.pub
python3 - <<'PY'
import model_signing
# model_signing 1.1.1 reads shard_size back as 1024.0 and fails when it guesses the
# hashing config from the signature, so the shard size is given explicitly here.
model_signing.verifying.Config().use_elliptic_key_verifier(public_key="keys/signer.pub").set_hashing_config(
    model_signing.hashing.Config().use_shard_serialization(shard_size=1024)
).verify("model", "shards.sig")
model_signing.verifying.Config().use_elliptic_key_verifier(public_key="keys/signer.pub").verify("model/model.onnx", "single-file.sig")
print("all fixtures verify with model_signing")
PY
