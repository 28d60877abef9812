#!/usr/bin/env bash
# Blob store throughput: push and pull of one large blob through the S3 store (moto_server on
# loopback) and through the filesystem store, in MB/s, with the peak RSS growth of the process
# driving the store (the server's share of a push or pull).
#
#   bench/s3-blobs.sh [BYTES]      (default 1073741824, 1 GiB; BENCH_CONFIG=debug to skip the release build)
#
# Drives the stores directly (bench/BlobBench, release build): `warden serve` does not take
# --blobs s3:// yet. Needs moto_server (pip install 'moto[server]'), python3 and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
BYTES=${1:-1073741824}
OUT=bench/out/s3-blobs
rm -rf "$OUT" && mkdir -p "$OUT"
CONFIG=${BENCH_CONFIG:-release}  # BENCH_CONFIG=debug reuses the debug build (figures then say so)
if [ -z "${BENCH:-}" ]; then
  swift build -c "$CONFIG" --product warden-blob-bench >/dev/null
  BENCH=.build/$CONFIG/warden-blob-bench
fi
echo "build: $CONFIG"
lscpu 2>/dev/null | grep 'Model name' || true
echo "cores: $(nproc)"

"$BENCH" fs "$OUT/fs-blobs" "$BYTES" | tee "$OUT/fs.txt"

endpoint=$(scripts/s3-test-server.sh start "$OUT/moto.pid")
trap 'scripts/s3-test-server.sh stop "$OUT/moto.pid"' EXIT
echo "moto_server: $endpoint ($(moto_server --version 2>/dev/null || echo moto))"
AWS_ENDPOINT_URL=$endpoint AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench-secret \
  "$BENCH" s3 warden-bench "$BYTES" | tee "$OUT/s3.txt" &
bench=$!
# moto keeps objects in its own process: its peak RSS is the object store's, not Warden's.
moto_peak=0
while kill -0 $bench 2>/dev/null; do
  rss=$(awk '/VmRSS/ {print $2}' /proc/"$(cat "$OUT/moto.pid")"/status 2>/dev/null || echo 0)
  [ "${rss:-0}" -gt "$moto_peak" ] && moto_peak=$rss
  sleep 0.5
done
wait $bench
echo "moto_server peak RSS: $((moto_peak / 1024)) MiB (the test server's memory, not Warden's)"
