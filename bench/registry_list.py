#!/usr/bin/env python3
"""Helper of bench/registry.sh: fills a registry with many small versions and
measures list/search latency over one keep-alive connection. Stdlib only.

  registry_list.py populate URL TOKEN ONNX [--models 1000] [--versions 10] [--threads 4]
  registry_list.py measure  URL TOKEN [--requests 1000] [--warmup 50]

populate uploads ONNX once as a blob, creates models model-0000.. (each with
the tags team-<i % 10> and kind-<i % 4>), then publishes versions 1.0.0..1.0.N-1
of each (one file, model.onnx = that blob). It prints one line
"populated M models, V versions in S s (R versions/s)". Any non-2xx answer
stops it with the status and body.

measure sends REQUESTS sequential GETs per query (after WARMUP untimed ones),
checks each answer's status and item count, and prints one line per query:
"label|p50_ms|p99_ms|max_ms|requests|items|bytes".
"""
import argparse
import hashlib
import http.client
import json
import statistics
import sys
import threading
import time
import urllib.parse


class Client:
    """One keep-alive HTTP/1.1 connection to the registry."""

    def __init__(self, url, token):
        parts = urllib.parse.urlsplit(url)
        if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit(f"refusing a non-local server: {url}")
        self.host, self.port = parts.hostname, parts.port or 80
        self.headers = {"Authorization": f"Bearer {token}"}
        self.conn = None

    def request(self, method, path, body=None, content_type=None):
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Length"] = str(len(body))
            if content_type:
                headers["Content-Type"] = content_type
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.conn.request(method, "/api/v1" + path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return response.status, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection: reconnect once.
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def json(self, method, path, payload=None, ok=(200, 201)):
        body = None if payload is None else json.dumps(payload).encode()
        status, data = self.request(method, path, body, "application/json" if body else None)
        if status not in ok:
            raise SystemExit(f"{method} {path} answered {status}: {data[:500]!r}")
        return json.loads(data) if data else {}


def populate(args):
    blob = open(args.onnx, "rb").read()
    digest = "sha256:" + hashlib.sha256(blob).hexdigest()
    client = Client(args.url, args.token)
    status, data = client.request("PUT", f"/blobs/{digest}", blob, "application/octet-stream")
    if status not in (200, 201):
        raise SystemExit(f"PUT /blobs/{digest} answered {status}: {data[:500]!r}")

    names = [f"model-{i:04d}" for i in range(args.models)]
    errors = []
    lock = threading.Lock()
    next_index = [0]

    def worker():
        mine = Client(args.url, args.token)
        while True:
            with lock:
                if errors or next_index[0] >= len(names):
                    return
                index = next_index[0]
                next_index[0] += 1
            name = names[index]
            try:
                mine.json("POST", "/models", {
                    "name": name,
                    "description": f"bench model {index}",
                    "tags": [f"team-{index % 10}", f"kind-{index % 4}"],
                })
                for patch in range(args.versions):
                    mine.json("POST", f"/models/{name}/versions", {
                        "version": f"1.0.{patch}",
                        "files": [{"path": "model.onnx", "digest": digest, "size": len(blob)}],
                    })
            except BaseException as error:  # SystemExit from json() included
                with lock:
                    errors.append(f"{name}: {error}")
                return

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if errors:
        raise SystemExit("populate failed: " + "; ".join(errors[:5]))
    versions = args.models * args.versions
    print(f"populated {args.models} models, {versions} versions in {seconds:.1f} s ({versions / seconds:.0f} versions/s)")


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, int(-(-fraction * len(sorted_values) // 1)))
    return sorted_values[rank - 1]


def measure(args):
    client = Client(args.url, args.token)
    queries = [
        ("GET /api/v1/models?limit=100", "/models?limit=100", "models", 100),
        ("GET /api/v1/models?prefix=model-05&limit=100", "/models?prefix=model-05&limit=100", "models", 100),
        ("GET /api/v1/models?tag=team-3&limit=100", "/models?tag=team-3&limit=100", "models", 100),
        ("GET /api/v1/models/model-0500/versions", "/models/model-0500/versions", "versions", 10),
    ]
    for label, path, key, expected in queries:
        def fetch():
            status, data = client.request("GET", path)
            if status != 200:
                raise SystemExit(f"GET {path} answered {status}: {data[:500]!r}")
            return data

        data = fetch()
        items = len(json.loads(data)[key])
        if items != expected:
            raise SystemExit(f"GET {path} listed {items} {key}, expected {expected}")
        for _ in range(args.warmup):
            fetch()
        times = []
        for _ in range(args.requests):
            start = time.perf_counter()
            fetch()
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        print(f"{label}|{statistics.median(times):.2f}|{percentile(times, 0.99):.2f}|{times[-1]:.2f}|{args.requests}|{items}|{len(data)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("populate")
    p.add_argument("url")
    p.add_argument("token")
    p.add_argument("onnx")
    p.add_argument("--models", type=int, default=1000)
    p.add_argument("--versions", type=int, default=10)
    p.add_argument("--threads", type=int, default=4)
    m = commands.add_parser("measure")
    m.add_argument("url")
    m.add_argument("token")
    m.add_argument("--requests", type=int, default=1000)
    m.add_argument("--warmup", type=int, default=50)
    args = parser.parse_args()
    if getattr(args, "models", 1) > 10000 or getattr(args, "versions", 1) > 1000:
        raise SystemExit("refusing more than 10,000 models or 1,000 versions each")
    (populate if args.command == "populate" else measure)(args)


if __name__ == "__main__":
    sys.exit(main())
