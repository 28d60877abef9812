#!/usr/bin/env bash
# The inference server under load: wrk against `warden serve --repository` on loopback.
#
#   bench/serve.sh [SECONDS] [CONNECTIONS]      (default 10 s, 32 connections)
#
# Models (bench/serve/make_models.py): a batch-1 MLP and an MNIST-size CNN,
# signed with a fresh key, dynamic batching on (max_batch_size 64, 100 µs delay).
# For each model and encoding (V2 JSON, binary tensors): wrk -t1 -cCONNECTIONS
# for SECONDS, three runs, median requests/s and latency p50/p99. Beside them,
# the in-process executor alone: `warden predict --bench` on the same input,
# batch 1 and batch 64, as requests/s, and the fraction of that which reaches
# clients over HTTP.
# Needs: wrk (apt-get install wrk), python3 with numpy and onnx.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-10}
CONNECTIONS=${2:-32}
OUT=bench/out/serve
rm -rf "$OUT" && mkdir -p "$OUT"
if [ -z "${WARDEN:-}" ]; then
  swift build -c release >/dev/null
  WARDEN=.build/release/warden
fi
python3 bench/serve/make_models.py "$OUT"
"$WARDEN" keygen --out "$OUT/bench" >/dev/null
mkdir -p "$OUT/trust" && cp "$OUT/bench.pub" "$OUT/trust/"
for model in mlp cnn; do "$WARDEN" sign "$OUT/repository/$model/1" --key "$OUT/bench.key" --signature "$OUT/repository/$model/1/model.sig" >/dev/null; done

PORT=18923
"$WARDEN" serve --data "$OUT/data" --port $PORT --repository "$OUT/repository" --trust "$OUT/trust" --log-level error > "$OUT/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/v2/health/ready" >/dev/null && break; sleep 0.1; done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '| model | encoding | requests/s | p50 ms | p99 ms | errors |\n| --- | --- | ---: | ---: | ---: | ---: |\n'
for model in mlp cnn; do
  for encoding in json bin; do
    body="$OUT/$model.$encoding"
    header=""
    [ "$encoding" = bin ] && header=$(cat "$body.header")
    : > "$OUT/runs"
    for run in 1 2 3; do
      BODY="$body" HEADER_LENGTH="$header" wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" -s bench/serve/post.lua \
        "http://127.0.0.1:$PORT/v2/models/$model/infer" | grep RESULT >> "$OUT/runs"
    done
    rps=$(sed 's/.*rps=\([0-9.]*\).*/\1/' "$OUT/runs" | median)
    p50=$(sed 's/.*p50_ms=\([0-9.]*\).*/\1/' "$OUT/runs" | median)
    p99=$(sed 's/.*p99_ms=\([0-9.]*\).*/\1/' "$OUT/runs" | median)
    errors=$(awk '{for(i=1;i<=NF;i++) if ($i ~ /^(errors|non2xx)=/) {split($i,a,"="); s+=a[2]}} END {print s+0}' "$OUT/runs")
    printf '| %s | %s | %s | %s | %s | %s |\n' "$model" "$encoding" "$rps" "$p50" "$p99" "$errors"
  done
done
curl -s "http://127.0.0.1:$PORT/v2/models/stats" > "$OUT/stats.json"
python3 - "$OUT/stats.json" <<'PY'
import json, sys
for row in json.load(open(sys.argv[1]))["model_stats"]:
    n, e = row["inference_count"], row["execution_count"]
    print(f"{row['name']}: {n} requests in {e} executions, mean batch {n / max(e, 1):.1f}")
PY

echo
printf '| model | in-process batch | median ms | requests/s in-process |\n| --- | ---: | ---: | ---: |\n'
for model in mlp cnn; do
  for batch in 1 64; do
    python3 -c "import numpy as np; x=np.load('$OUT/$model-input.npy'); np.save('$OUT/$model-b$batch.npy', np.repeat(x, $batch, axis=0))"
    ms=$("$WARDEN" predict "$OUT/repository/$model/1/model.onnx" --input "input=$OUT/$model-b$batch.npy" --bench 300 --json \
      | python3 -c "import json,sys; print(json.load(sys.stdin)['bench']['median_ms'])")
    python3 -c "print('| $model | $batch | %.4f | %.0f |' % ($ms, $batch / ($ms / 1000)))"
  done
done
