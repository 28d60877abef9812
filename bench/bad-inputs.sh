#!/usr/bin/env bash
# Reliability: the bad-input set (bench/bad_inputs.py) twice against a real server,
# with the server's resident memory after each pass (a figure that grows on the
# second pass is a leak).
#
#   bench/bad-inputs.sh [PASSES]        (default 2)
#
# The server runs the registry with iris@1.0.0 (the skl2onnx MLP fixture) at
# production, signed with a fresh key. Needs python3 (standard library only).
set -euo pipefail
cd "$(dirname "$0")/.."
PASSES=${1:-2}
OUT=bench/out/bad-inputs
rm -rf "$OUT" && mkdir -p "$OUT/iris" "$OUT/data/trust"
if [ -z "${WARDEN:-}" ]; then
  swift build -c release >/dev/null
  WARDEN=.build/release/warden
fi
cp Tests/WardenModelTests/Fixtures/sklearn/mlp-1layer.onnx "$OUT/iris/model.onnx"
"$WARDEN" keygen --out "$OUT/bench" >/dev/null
cp "$OUT/bench.pub" "$OUT/data/trust/"
PORT=18931
"$WARDEN" serve --data "$OUT/data" --port $PORT --log-level error > "$OUT/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
export WARDEN_SERVER=http://127.0.0.1:$PORT WARDEN_TOKEN=$(cat "$OUT/data/admin.token")
"$WARDEN" push "$OUT/iris" --name iris --version 1.0.0 --sign "$OUT/bench.key" >/dev/null
"$WARDEN" alias set iris production 1.0.0 >/dev/null
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/v2/models/iris/ready" >/dev/null && break; sleep 0.1; done
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); binary: $WARDEN"
python3 bench/bad_inputs.py --port $PORT --token "$WARDEN_TOKEN" --pid $SERVER --passes "$PASSES"
