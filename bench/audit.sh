#!/usr/bin/env bash
# The audit log's cost: registry mutations (token creation, each one audited:
# event + Merkle leaf + signed checkpoint, fsync'd in one SQLite transaction)
# timed over HTTP keep-alive, and `warden audit verify` over the whole log.
#
#   bench/audit.sh [MUTATIONS]      (default 1000)
#
# Needs: python3.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
OUT=bench/out/audit
rm -rf "$OUT" && mkdir -p "$OUT"
if [ -z "${WARDEN:-}" ]; then
  swift build -c release >/dev/null
  WARDEN=.build/release/warden
fi
PORT=18925
"$WARDEN" serve --data "$OUT/data" --port $PORT --log-level error > "$OUT/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
python3 - "$PORT" "$(cat "$OUT/data/admin.token")" "$N" <<'PY'
import http.client, json, statistics, sys, time
port, token, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
connection = http.client.HTTPConnection("127.0.0.1", port)
headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
times = []
for i in range(n):
    start = time.perf_counter()
    connection.request("POST", "/api/v1/tokens", json.dumps({"role": "reader", "name": f"t{i}"}), headers)
    response = connection.getresponse()
    response.read()
    assert response.status == 201, response.status
    times.append((time.perf_counter() - start) * 1000)
times.sort()
print(f"audited mutation (POST /api/v1/tokens, keep-alive): median {statistics.median(times):.3f} ms, p99 {times[int(len(times) * 0.99) - 1]:.3f} ms over {n}")
PY
kill $SERVER; wait $SERVER 2>/dev/null || true
start=$(date +%s.%N)
"$WARDEN" audit verify --data "$OUT/data" | tail -1
python3 -c "print(f'warden audit verify over $((N + 1)) entries: {$(date +%s.%N) - $start:.2f} s')"
