#!/usr/bin/env bash
# Memory and load time of a model with external-data weights: Warden against onnxruntime.
#
#   bench/external-weights.sh [REPEATS]      (default 5)
#   OLD_WARDEN=path/to/warden bench/external-weights.sh   adds a row for another build
#
# See bench/external_weights.py for the model and what is measured.
# Needs: python3 with numpy, onnx and onnxruntime.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${WARDEN:-}" ]; then
  swift build -c release --product warden >/dev/null
  WARDEN=.build/release/warden
fi
python3 bench/external_weights.py "$WARDEN" "${OLD_WARDEN:-}" "${1:-5}"
