#!/usr/bin/env bash
# Regenerates the repository of WASM pipelines the serving tests load.
#
#   pipelines/iris-text/1/  csv_features.wat (preprocess: CSV text -> float32 [N, 4])
#                           -> model.onnx (a LogisticRegression trained on the real iris data by
#                              make_iris.py; the repository/iris models are trained on synthetic
#                              data, so their class numbers are not iris species)
#                           -> topk.wat (postprocess: probabilities -> top-2 labels and scores)
#   pipelines/spin/1/       spin.wat as the whole model (format: wasm): a compute loop, with a
#                           small fuel budget so a large n runs out of fuel
#
# The modules are the hand-written WAT test modules of Tests/WardenSandboxTests/Modules.
# Signatures: the real OpenSSF model_signing tool (PyPI model-signing 1.1.1) with the
# test-only P-256 key of the model_signing interop fixtures.
#   pip install model-signing==1.1.1 scikit-learn==1.9.1 skl2onnx==1.20.0 onnx==1.23.2 onnxruntime==1.32.0
set -euo pipefail
cd "$(dirname "$0")"
MODULES=../../WardenSandboxTests/Modules
KEYS=../../WardenIntegrityTests/Fixtures/model-signing/keys
rm -rf pipelines
mkdir -p pipelines/iris-text/1 pipelines/spin/1

python3 make_iris.py pipelines/iris-text/1/model.onnx
cp "$MODULES/csv_features.wat" pipelines/iris-text/1/pre.wat
cp "$MODULES/topk.wat" pipelines/iris-text/1/post.wat
cat > pipelines/iris-text/1/warden.yaml <<'CARD'
name: iris-text
description: iris from CSV text lines, answering the two likeliest species
preprocess: pre.wat
postprocess: post.wat
inputs:
  - {name: csv, dtype: bytes, shape: [batch]}
outputs:
  - {name: labels, dtype: bytes, shape: [batch, 2]}
  - {name: scores, dtype: float32, shape: [batch, 2]}
sandbox:
  fuel: 1000000
  max_memory_pages: 16
  timeout_ms: 500
CARD

cp "$MODULES/spin.wat" pipelines/spin/1/spin.wat
cat > pipelines/spin/1/warden.yaml <<'CARD'
name: spin
description: a compute loop as a whole WASM model
format: wasm
inputs:
  - {name: n, dtype: int64, shape: [1]}
outputs:
  - {name: sum, dtype: int64, shape: [1]}
sandbox:
  fuel: 1000000
  max_memory_pages: 2
  timeout_ms: 2000
CARD

for model in iris-text spin; do
  model_signing sign key pipelines/$model/1 --private_key "$KEYS/signer.key" --signature pipelines/$model/1/model.sig
done
