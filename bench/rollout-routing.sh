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
PORT=18926
source bench/serve/registry-mlp.sh

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
