# Sourced by the registry serving benchmarks (serve-swap.sh, rollout-routing.sh,
# rollout-abort.sh): builds warden when $WARDEN is unset, starts `warden serve` on
# $PORT over a fresh $OUT/data, and publishes the benchmark MLP twice, signed:
# mlp@1.0.0 and mlp@1.0.1 (the same graph, weights × 1.01: a retrain), with
# production at 1.0.0. Exports WARDEN, WARDEN_SERVER and WARDEN_TOKEN; the
# server stops when the script exits.
rm -rf "$OUT" && mkdir -p "$OUT"
if [ -z "${WARDEN:-}" ]; then
  swift build -c release >/dev/null
  WARDEN=.build/release/warden
fi
python3 bench/serve/make_models.py "$OUT"
"$WARDEN" keygen --out "$OUT/bench" >/dev/null
mkdir -p "$OUT/data/trust" && cp "$OUT/bench.pub" "$OUT/data/trust/"
"$WARDEN" serve --data "$OUT/data" --port "$PORT" --log-level error > "$OUT/serve.log" 2>&1 &
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
if os.path.exists(f"{out}/v2/model.sig"):
    os.remove(f"{out}/v2/model.sig")
onnx.save(model, f"{out}/v2/model.onnx")
PY
"$WARDEN" push "$OUT/v2" --name mlp --version 1.0.1 --sign "$OUT/bench.key" >/dev/null
"$WARDEN" alias set mlp production 1.0.0 >/dev/null
for _ in $(seq 100); do curl -sf -X POST "http://127.0.0.1:$PORT/v2/models/mlp/infer" -d @"$OUT/mlp.json" >/dev/null && break; sleep 0.1; done
