#!/usr/bin/env bash
# Hot swap under load: wrk drives the batch-1 MLP over binary V2 while the
# production alias flips between two signed registry versions SWAPS times.
#
#   bench/serve-swap.sh [SWAPS] [CONNECTIONS]     (default 100 swaps, 8 connections)
#
# Reports requests/s, p50 and p99 for 10 s before the swaps and for the whole
# time the swaps take, and every non-2xx or socket error (the issue asks for zero).
# Needs: wrk, python3 with numpy and onnx.
set -euo pipefail
cd "$(dirname "$0")/.."
SWAPS=${1:-100}
CONNECTIONS=${2:-8}
OUT=bench/out/serve-swap
PORT=18924
source bench/serve/registry-mlp.sh

run() { BODY="$OUT/mlp.bin" HEADER_LENGTH=$(cat "$OUT/mlp.bin.header") wrk -t1 -c"$CONNECTIONS" -d"$1" -s bench/serve/post.lua "http://127.0.0.1:$PORT/v2/models/mlp/infer" | grep RESULT; }
before=$(run 10s)
# wrk itself in the background (not through a function), so the interrupt below reaches it.
BODY="$OUT/mlp.bin" HEADER_LENGTH=$(cat "$OUT/mlp.bin.header") wrk -t1 -c"$CONNECTIONS" -d600s -s bench/serve/post.lua \
  "http://127.0.0.1:$PORT/v2/models/mlp/infer" > "$OUT/during-full" &
WRK=$!
sleep 1
start=$(date +%s.%N)
: > "$OUT/swap-ms"
for i in $(seq "$SWAPS"); do
  target="1.0.$((i % 2))"
  "$WARDEN" alias set mlp production "$target" >/dev/null
  # From the alias move returning to the first answer from the target version.
  python3 - "$PORT" "$target" "$OUT/mlp.json" >> "$OUT/swap-ms" <<'PY'
import http.client, json, sys, time
port, target, body = int(sys.argv[1]), sys.argv[2], open(sys.argv[3], "rb").read()
start = time.perf_counter()
connection = http.client.HTTPConnection("127.0.0.1", port)
for _ in range(5000):
    connection.request("POST", "/v2/models/mlp/infer", body)
    if json.loads(connection.getresponse().read()).get("model_version") == target:
        break
print(f"{(time.perf_counter() - start) * 1000:.1f}")
PY
  sleep 0.1
done
elapsed=$(python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')")
kill -INT $WRK; wait $WRK 2>/dev/null || true
during=$(grep RESULT "$OUT/during-full")
loads=$(curl -s "http://127.0.0.1:$PORT/metrics" | grep 'warden_model_loads_total{model="mlp",outcome="loaded"}' | awk '{print $2}')
echo "swaps: $SWAPS alias moves in ${elapsed}s, $loads verified loads, $CONNECTIONS connections"
echo "alias move to first answer from the new version, ms: $(sort -n "$OUT/swap-ms" | awk '{a[NR]=$1} END {printf "median %s, p90 %s, max %s", a[int((NR+1)/2)], a[int(NR*0.9)], a[NR]}')"
echo "before: $before"
echo "during: $during"
