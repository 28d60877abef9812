"""Sends a set of hand-made bad requests to a running `warden serve`, twice, and reports
how each was answered and the server's resident memory after each pass.

    python3 bench/bad_inputs.py --port PORT --token TOKEN --pid PID [--passes 2]

bench/bad-inputs.sh starts the server and calls this. Every request must get a 4xx
(never a 5xx, never a hang: each has a 30 s limit), and the server must keep
answering /healthz. A resident set that keeps growing from one pass to the next is a
leak; the first pass may grow it (caches, allocator arenas), a second should not.
Only the standard library: it runs wherever python3 does.
"""
import argparse
import http.client
import json
import socket
import time


def rss_kib(pid):
    """(VmRSS, VmHWM) of the process in KiB, from /proc."""
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    return values["VmRSS"], values["VmHWM"]


def requests(token):
    """(name, method, path, headers, body): each is the client's fault."""
    auth = {"Authorization": f"Bearer {token}"}
    json_type = {"Content-Type": "application/json"}
    v2 = "/v2/models/iris/infer"
    deep = "[" * 100_000 + "]" * 100_000
    cases = [
        ("absurd shape", "POST", v2, json_type, json.dumps({"inputs": [{"name": "input", "shape": [1 << 40, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]})),
        ("negative dim", "POST", v2, json_type, json.dumps({"inputs": [{"name": "input", "shape": [-1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]})),
        ("shape/data mismatch", "POST", v2, json_type, json.dumps({"inputs": [{"name": "input", "shape": [2, 4], "datatype": "FP32", "data": [1, 2, 3]}]})),
        ("wrong shape", "POST", v2, json_type, json.dumps({"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]})),
        ("wrong datatype", "POST", v2, json_type, json.dumps({"inputs": [{"name": "input", "shape": [1, 4], "datatype": "INT8", "data": [1, 2, 3, 4]}]})),
        ("unknown datatype", "POST", v2, json_type, json.dumps({"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP99", "data": [1, 2, 3, 4]}]})),
        ("missing input", "POST", v2, json_type, json.dumps({"inputs": []})),
        ("unknown input", "POST", v2, json_type, json.dumps({"inputs": [{"name": "nope", "shape": [1], "datatype": "FP32", "data": [1]}]})),
        ("string for number", "POST", v2, json_type, json.dumps({"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": ["a", "b", "c", "d"]}]})),
        ("not JSON", "POST", v2, json_type, "this is not json"),
        ("truncated JSON", "POST", v2, json_type, '{"inputs":[{"name":"input","shape":[1,4'),
        ("100,000-deep JSON", "POST", v2, json_type, deep),
        ("invalid UTF-8", "POST", v2, json_type, b'{"inputs":[{"name":"\xff\xfe","shape":[1],"datatype":"FP32","data":[1]}]}'),
        ("huge binary header length", "POST", v2, {"Inference-Header-Content-Length": "99999999999"}, b"{}"),
        ("negative binary header length", "POST", v2, {"Inference-Header-Content-Length": "-5"}, b"{}"),
        ("binary data too short", "POST", v2, {"Inference-Header-Content-Length": "98"},
         b'{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","parameters":{"binary_data_size":16}}]}' + b"\0" * 4),
        ("unknown model", "POST", "/v2/models/no-such-model/infer", json_type, json.dumps({"inputs": []})),
        ("unknown version", "POST", "/v2/models/iris/versions/9.9.9/infer", json_type, json.dumps({"inputs": []})),
        ("path traversal model", "GET", "/api/v1/models/..%2F..%2Fetc", auth, None),
        ("path traversal file", "GET", "/api/v1/models/iris/versions/1.0.0/files/..%2F..%2Fwarden.db", auth, None),
        ("bad model name", "GET", "/api/v1/models/-bad-/rollout", auth, None),
        ("bad version", "GET", "/api/v1/models/iris/versions/one", auth, None),
        ("bad digest", "HEAD", "/api/v1/blobs/sha256:xyz", auth, None),
        ("wrong digest algorithm", "HEAD", "/api/v1/blobs/md5:" + "0" * 32, auth, None),
        ("blob bytes that do not hash to the name", "PUT", "/api/v1/blobs/sha256:" + "0" * 64, auth, b"hello"),
        ("no token on a write", "POST", "/api/v1/models", json_type, json.dumps({"name": "x"})),
        ("unknown token", "POST", "/api/v1/models", {"Authorization": "Bearer wdn_nope", **json_type}, json.dumps({"name": "x"})),
        ("empty bearer", "POST", "/api/v1/models", {"Authorization": "Bearer ", **json_type}, json.dumps({"name": "x"})),
        ("basic auth", "POST", "/api/v1/models", {"Authorization": "Basic eDp5", **json_type}, json.dumps({"name": "x"})),
        ("invalid model name", "POST", "/api/v1/models", {**auth, **json_type}, json.dumps({"name": "Bad Name!"})),
        ("model name too long", "POST", "/api/v1/models", {**auth, **json_type}, json.dumps({"name": "a" * 300})),
        ("tags not a list", "POST", "/api/v1/models", {**auth, **json_type}, json.dumps({"name": "tagged", "tags": "x"})),
        ("publish no files", "POST", "/api/v1/models/iris/versions", {**auth, **json_type}, json.dumps({"version": "9.0.0", "files": []})),
        ("publish missing blob", "POST", "/api/v1/models/iris/versions", {**auth, **json_type},
         json.dumps({"version": "9.0.0", "files": [{"path": "model.onnx", "digest": "sha256:" + "1" * 64, "size": 1}]})),
        ("publish traversal path", "POST", "/api/v1/models/iris/versions", {**auth, **json_type},
         json.dumps({"version": "9.0.0", "files": [{"path": "../x", "digest": "sha256:" + "1" * 64, "size": 1}]})),
        ("publish bad version", "POST", "/api/v1/models/iris/versions", {**auth, **json_type}, json.dumps({"version": "v1", "files": []})),
        ("alias to missing version", "PUT", "/api/v1/models/iris/aliases/staging", {**auth, **json_type}, json.dumps({"version": "9.9.9"})),
        ("alias bad name", "PUT", "/api/v1/models/iris/aliases/BAD!", {**auth, **json_type}, json.dumps({"version": "1.0.0"})),
        ("rollout empty candidate", "POST", "/api/v1/models/iris/rollout", {**auth, **json_type}, json.dumps({"candidate": ""})),
        ("rollout bad steps", "POST", "/api/v1/models/iris/rollout", {**auth, **json_type}, json.dumps({"candidate": "1.0.0", "steps": [50, 25]})),
        ("rollout unknown command", "POST", "/api/v1/models/iris/rollout/explode", auth, None),
        ("token bad role", "POST", "/api/v1/tokens", {**auth, **json_type}, json.dumps({"role": "emperor"})),
        ("revoke bad id", "DELETE", "/api/v1/tokens/abc", auth, None),
        ("events bad since", "GET", "/api/v1/events?since=-1", auth, None),
        ("events bad limit", "GET", "/api/v1/events?limit=100000000", auth, None),
        ("list bad limit", "GET", "/api/v1/models?limit=0", auth, None),
        ("method not allowed", "DELETE", "/api/v1/events", auth, None),
        ("unknown route", "GET", "/api/v2/nothing", auth, None),
        ("repository load unknown", "POST", "/v2/repository/models/no-such-model/load", auth, None),
        ("index bad body", "POST", "/v2/repository/index", json_type, "{not json"),
        ("huge JSON body", "POST", "/api/v1/models", {**auth, **json_type}, b'{"name":"' + b"a" * (70 << 20) + b'"}'),
        ("huge inference body", "POST", v2, json_type, b'{"inputs":[' + b" " * (70 << 20) + b"]}"),
    ]
    return cases


def send(port, case):
    name, method, path, headers, body = case
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        data = body.encode() if isinstance(body, str) else body
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    except (ConnectionError, socket.timeout, http.client.HTTPException) as error:
        return f"no answer ({type(error).__name__})"
    finally:
        connection.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--passes", type=int, default=2)
    args = parser.parse_args()
    cases = requests(args.token)
    rss, hwm = rss_kib(args.pid)
    print(f"before: RSS {rss / 1024:.1f} MiB, peak {hwm / 1024:.1f} MiB; {len(cases)} bad requests per pass")
    problems = []
    for number in range(1, args.passes + 1):
        started = time.monotonic()
        statuses = {}
        for case in cases:
            status = send(args.port, case)
            statuses[case[0]] = status
            if not (isinstance(status, int) and 400 <= status < 500):
                problems.append(f"pass {number}: {case[0]}: {status}")
        healthy = send(args.port, ("health", "GET", "/healthz", {}, None)) == 200
        if not healthy:
            problems.append(f"pass {number}: /healthz did not answer 200")
        rss, hwm = rss_kib(args.pid)
        counts = {}
        for status in statuses.values():
            counts[status] = counts.get(status, 0) + 1
        summary = ", ".join(f"{count}× {status}" for status, count in sorted(counts.items(), key=lambda item: str(item[0])))
        print(f"pass {number}: {time.monotonic() - started:.1f} s; {summary}; healthy {healthy}; RSS {rss / 1024:.1f} MiB, peak {hwm / 1024:.1f} MiB")
    for problem in problems:
        print("PROBLEM", problem)
    raise SystemExit(1 if problems else 0)


if __name__ == "__main__":
    main()
