#!/usr/bin/env bash
# The cost of routing through a rollout: wrk drives the batch-1 MLP over binary V2,
# first with production alone, then with a rollout splitting 50/50 between two
# signed versions (its window never judged, so the split holds), three runs each.
#
#   bench/rollout-routing.sh [SECONDS] [CONNECTIONS]     (default 10 s, 8 connections)
#
# Needs: wrk, python3 with numpy and onnx.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-10}
CONNECTIONS=${2:-8}
OUT=bench/out/rollout-routing
rm -rf "$OUT" && mkdir -p "$OUT"
if [ -z "${WARDEN:-}" ]; then
  swift build -c release >/dev/null
  WARDEN=.build/release/warden
fi
python3 bench/serve/make_models.py "$OUT"
"$WARDEN" keygen --out "$OUT/bench" >/dev/null
mkdir -p "$OUT/data/trust" && cp "$OUT/bench.pub" "$OUT/data/trust/"
PORT=18926
"$WARDEN" serve --data "$OUT/data" --port $PORT --log-level error > "$OUT/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
export WARDEN_SERVER=http://127.0.0.1:$PORT WARDEN_TOKEN=$(cat "$OUT/data/admin.token")
cp -r "$OUT/repository/mlp/1" "$OUT/v1"
"$WARDEN" push "$OUT/v1" --name mlp --version 1.0.0 --sign "$OUT/bench.key" >/dev/null
python3 - "$OUT" <<'PY'
import os, shutil, sys, numpy as np, onnx
from onnx import numpy_helper
out = sys.argv[1]
model = onnx.load(f"{out}/v1/model.onnx")
for t in model.graph.initializer:
    t.CopyFrom(numpy_helper.from_array((numpy_helper.to_array(t) * 1.01).astype(np.float32), t.name))
shutil.copytree(f"{out}/v1", f"{out}/v2")
if os.path.exists(f"{out}/v2/model.sig"): os.remove(f"{out}/v2/model.sig")
onnx.save(model, f"{out}/v2/model.onnx")
PY
"$WARDEN" push "$OUT/v2" --name mlp --version 1.0.1 --sign "$OUT/bench.key" >/dev/null
"$WARDEN" alias set mlp production 1.0.0 >/dev/null
for _ in $(seq 100); do curl -sf -X POST "http://127.0.0.1:$PORT/v2/models/mlp/infer" -d @"$OUT/mlp.json" >/dev/null && break; sleep 0.1; done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure() {
  : > "$OUT/runs"
  for _ in 1 2 3; do
    BODY="$OUT/mlp.bin" HEADER_LENGTH=$(cat "$OUT/mlp.bin.header") wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" -s bench/serve/post.lua \
      "http://127.0.0.1:$PORT/v2/models/mlp/infer" | grep RESULT >> "$OUT/runs"
  done
  printf '| %s | %s | %s | %s |\n' "$1" "$(sed 's/.*rps=\([0-9.]*\).*/\1/' "$OUT/runs" | median)" \
    "$(sed 's/.*p50_ms=\([0-9.]*\).*/\1/' "$OUT/runs" | median)" "$(sed 's/.*p99_ms=\([0-9.]*\).*/\1/' "$OUT/runs" | median)"
}
printf '| routing | requests/s | p50 ms | p99 ms |\n| --- | ---: | ---: | ---: |\n'
measure "production only"
"$WARDEN" rollout start mlp --to 1.0.1 --steps 50,100 --interval 1h --min-requests 1000000000 >/dev/null
sleep 1
measure "rollout, 50/50 split"
curl -s -H "Authorization: Bearer $WARDEN_TOKEN" "http://127.0.0.1:$PORT/api/v1/models/mlp/rollout" | python3 -c "import json,sys; r=json.load(sys.stdin); print('split:', {v['version']: v.get('requests') for v in r['versions']})"
