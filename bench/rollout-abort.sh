#!/usr/bin/env bash
# How fast an automatic abort takes effect: four client threads (keep-alive) send
# requests and record which version answered, a rollout starts with a p99 limit
# every window breaks, and the script reports the time from the abort (the
# rollout.aborted event's timestamp) to the last answer from the candidate.
#
#   bench/rollout-abort.sh [RUNS]     (default 5)
#
# Needs: python3 with numpy and onnx.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
OUT=bench/out/rollout-abort
rm -rf "$OUT" && mkdir -p "$OUT"
if [ -z "${WARDEN:-}" ]; then
  swift build -c release >/dev/null
  WARDEN=.build/release/warden
fi
python3 bench/serve/make_models.py "$OUT"
"$WARDEN" keygen --out "$OUT/bench" >/dev/null
mkdir -p "$OUT/data/trust" && cp "$OUT/bench.pub" "$OUT/data/trust/"
PORT=18927
"$WARDEN" serve --data "$OUT/data" --port $PORT --log-level error > "$OUT/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
export WARDEN_SERVER=http://127.0.0.1:$PORT WARDEN_TOKEN=$(cat "$OUT/data/admin.token")
cp -r "$OUT/repository/mlp/1" "$OUT/v1"
"$WARDEN" push "$OUT/v1" --name mlp --version 1.0.0 --sign "$OUT/bench.key" >/dev/null
cp -r "$OUT/v1" "$OUT/v2" && rm -f "$OUT/v2/model.sig" && echo "description: candidate" >> "$OUT/v2/warden.yaml"
"$WARDEN" push "$OUT/v2" --name mlp --version 1.0.1 --sign "$OUT/bench.key" >/dev/null
"$WARDEN" alias set mlp production 1.0.0 >/dev/null
python3 - "$PORT" "$WARDEN_TOKEN" "$OUT/mlp.json" "$RUNS" <<'PY'
import http.client, json, statistics, sys, threading, time
port, token, body, runs = int(sys.argv[1]), sys.argv[2], open(sys.argv[3], "rb").read(), int(sys.argv[4])
auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

def api(method, path, payload=None):
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request(method, path, json.dumps(payload) if payload is not None else None, auth)
    r = c.getresponse()
    return r.status, json.loads(r.read() or b"{}")

results = []
for run in range(runs):
    answers, stop, failures = [], threading.Event(), [0]
    def client():
        c = http.client.HTTPConnection("127.0.0.1", port)
        while not stop.is_set():
            c.request("POST", "/v2/models/mlp/infer", body)
            r = c.getresponse()
            data = r.read()
            if r.status != 200:
                failures[0] += 1
                continue
            answers.append((time.time(), json.loads(data)["model_version"]))
    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads: t.start()
    time.sleep(0.5)
    status, _ = api("POST", "/api/v1/models/mlp/rollout", {"candidate": "1.0.1", "steps": [50, 100], "interval_seconds": 1, "min_requests": 10, "max_p99_ms": 0.000001, "failure_limit": 1})
    assert status == 201, status
    for _ in range(300):
        _, rollout = api("GET", "/api/v1/models/mlp/rollout")
        if rollout.get("phase") == "aborted": break
        time.sleep(0.05)
    time.sleep(1)
    stop.set()
    for t in threads: t.join()
    _, events = api("GET", "/api/v1/events?limit=1000")
    aborted = max(e["at"] for e in events["events"] if e["kind"] == "rollout.aborted")
    from datetime import datetime
    at = datetime.fromisoformat(aborted.replace("Z", "+00:00")).timestamp()
    last_candidate = max((t for t, v in answers if v == "1.0.1"), default=at)
    results.append((last_candidate - at) * 1000)
    print(f"run {run + 1}: last candidate answer {results[-1]:.1f} ms after the abort; {sum(1 for _, v in answers if v == '1.0.1')} candidate answers, {failures[0]} failed requests")
print(f"abort to last candidate answer: median {statistics.median(results):.1f} ms, max {max(results):.1f} ms over {runs} runs")
PY
