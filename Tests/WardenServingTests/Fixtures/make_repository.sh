#!/usr/bin/env bash
# Regenerates the Triton-style model repository the serving tests load.
#
# Models: the skl2onnx exports in Tests/WardenModelTests/Fixtures/sklearn
# (a 2-layer MLPClassifier as version 1, a LogisticRegression as version 2;
# both take input float32 [?, 4] and give label int64 [?], probabilities float32 [?, 3]).
# Signatures: the real OpenSSF model_signing tool (PyPI model-signing 1.1.1) with the
# test-only P-256 key of the model_signing interop fixtures.
#   pip install model-signing==1.1.1
set -euo pipefail
cd "$(dirname "$0")"
SK=../../WardenModelTests/Fixtures/sklearn
KEYS=../../WardenIntegrityTests/Fixtures/model-signing/keys
rm -rf repository trust
mkdir -p repository/iris/1 repository/iris/2 trust
cp "$SK/mlp-2layer.onnx" repository/iris/1/model.onnx
cp "$SK/logreg-a.onnx" repository/iris/2/model.onnx
for version in 1 2; do
  cat > repository/iris/$version/warden.yaml <<CARD
name: iris
description: iris classifier, version $version
serving:
  max_batch_size: 32
  max_queue_delay_microseconds: 500
  max_queue_size: 256
CARD
  model_signing sign key repository/iris/$version --private_key "$KEYS/signer.key" --signature repository/iris/$version/model.sig
done
cp "$KEYS/signer.pub" trust/signer.pub
