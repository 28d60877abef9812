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
PORT=18927
source bench/serve/registry-mlp.sh
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
