#!/usr/bin/env bash
# Benchmarks the registry end to end on 127.0.0.1, release build:
#
#  - `warden push --sign KEY` and `warden pull --trust DIR` of a generated
#    1 GiB model (a small real ONNX file plus two 512 MiB random files, so
#    nothing compresses), each run against a fresh server and data directory so
#    every push uploads the whole 1 GiB; MB/s = model bytes / wall seconds
#    (MB = 10^6 bytes), plus the transfer-only rate the client prints;
#  - the server's RSS idle and at its peak during each transfer (VmRSS sampled
#    every 50 ms from /proc, cross-checked with VmHWM);
#  - pushing the unchanged model again as a new version: asserts that no blob is
#    uploaded ("uploaded 0 of N blob(s)") and times it;
#  - list/search latency with 10,000 versions across 1,000 models (populated
#    through the API by bench/registry_list.py; one tiny ONNX blob shared by all
#    versions): p50/p99 of 1,000 sequential keep-alive GETs per query.
#
#   bench/registry.sh [RUNS]      (default 3; medians of RUNS for the transfers)
#
# WARDEN=/path/to/warden skips the release build (otherwise
# `swift build -c release --scratch-path .build-bench`); WARDEN_BENCH_DIR moves
# the work directory (default bench/out/registry, git-ignored). The model is
# made once and reused; delete the directory to make it again. Every server is
# started on 127.0.0.1 with --port 0 and stopped on exit. Needs python3 (stdlib).
set -euo pipefail
runs=${1:-3}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${WARDEN_BENCH_DIR:-$repo/bench/out/registry}
fixtures=$repo/Tests/WardenModelTests/Fixtures/sklearn
mkdir -p "$work"
cd "$work"

if [ ! -f model/model.onnx ] || [ ! -f model/weights-1.bin ] || [ ! -f model/weights-2.bin ]; then
  echo "generating a 1 GiB model (model.onnx + 2 x 512 MiB of random weights) in $work/model" >&2
  rm -rf model model.tmp
  mkdir model.tmp
  cp "$fixtures/mlp-2layer.onnx" model.tmp/model.onnx
  head -c 536870912 /dev/urandom > model.tmp/weights-1.bin
  head -c 536870912 /dev/urandom > model.tmp/weights-2.bin
  mv model.tmp model
fi
bytes=$(cat model/* | wc -c)
blob_count=$(find model -type f | wc -l)

if [ -n "${WARDEN:-}" ]; then
  warden=$WARDEN
else
  (cd "$repo" && swift build -c release --scratch-path .build-bench >&2)
  warden="$repo/.build-bench/release/warden"
fi

rm -rf keys trust
mkdir keys trust
"$warden" keygen --out keys/bench >/dev/null
cp keys/bench.pub trust/

# Warm the page cache so the client reads the model from memory.
cat model/* > /dev/null
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

server_pid="" server_url="" sampler_pid="" sampler_out=""

# start_server DATA LOG [FLAGS...]: starts `warden serve` on 127.0.0.1 (a free
# port) with a fresh DATA; sets server_pid and server_url.
start_server() {
  local data=$1 log=$2; shift 2
  rm -rf "$data"
  "$warden" serve --data "$data" --host 127.0.0.1 --port 0 --log-level warning "$@" > "$log" 2>&1 &
  server_pid=$!
  server_url=""
  for _ in $(seq 200); do
    server_url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$log" | head -n 1 || true)
    [ -n "$server_url" ] && [ -f "$data/admin.token" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "the server did not start (see $log):" >&2
  cat "$log" >&2
  exit 1
}

stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}

# rss_kib PID FIELD: VmRSS or VmHWM of PID in KiB.
rss_kib() {
  awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"
}

# start_sampler PID OUT: records in OUT the peak VmRSS (KiB) of PID, sampled
# every 50 ms (at most 12,000 samples, 10 minutes) until stop_sampler.
start_sampler() {
  local pid=$1
  sampler_out=$2
  rm -f "$sampler_out" "$sampler_out.stop"
  (
    peak=0
    for _ in $(seq 12000); do
      [ -f "$sampler_out.stop" ] && break
      kib=0
      while read -r key value _; do
        if [ "$key" = "VmRSS:" ]; then kib=$value; break; fi
      done < "/proc/$pid/status" || break
      [ "$kib" -gt "$peak" ] && peak=$kib
      echo "$peak" > "$sampler_out"
      sleep 0.05
    done
  ) 2>/dev/null &
  sampler_pid=$!
}

stop_sampler() {
  if [ -n "$sampler_pid" ]; then
    touch "$sampler_out.stop"
    wait "$sampler_pid" 2>/dev/null || true
    sampler_pid=""
    rm -f "$sampler_out.stop"
  fi
}

cleanup() {
  stop_sampler
  stop_server
}
trap cleanup EXIT

# timed OUT CMD...: runs CMD with its output in OUT, prints the wall seconds;
# stops the script when CMD fails.
timed() {
  local out=$1; shift
  local start end
  start=$(date +%s.%N)
  if ! "$@" > "$out" 2>&1; then
    echo "failed: $*" >&2
    cat "$out" >&2
    exit 1
  fi
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN {printf "%.3f", b - a}'
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mbps() { awk -v n="$bytes" -v s="$1" 'BEGIN {printf "%.0f", (s > 0 ? n / s / 1e6 : 0)}'; }
mib() { awk -v k="$1" 'BEGIN {printf "%.0f", k / 1024}'; }

push_s=() push_xfer_s=() pull_s=() pull_xfer_s=() repush_s=()
rss_idle=() rss_push=() rss_pull=() rss_hwm=()
for run in $(seq "$runs"); do
  echo "run $run of $runs: fresh server, push, pull, push again" >&2
  start_server "$work/data" "$work/server.log" --trust "$work/trust"
  token=$(cat "$work/data/admin.token")
  sleep 0.2
  idle=$(rss_kib "$server_pid" VmRSS)

  start_sampler "$server_pid" rss-push.txt
  seconds=$(timed push.txt "$warden" push model --name bench --version "1.$run.0" --sign keys/bench.key --server "$server_url" --token "$token")
  stop_sampler
  if ! grep -q "uploaded $blob_count of $blob_count blob(s)" push.txt; then
    echo "run $run: the first push did not upload all $blob_count blobs:" >&2
    cat push.txt >&2
    exit 1
  fi
  push_s+=("$seconds")
  push_xfer_s+=("$(sed -n 's/^uploaded .* in \([0-9.]*\) s$/\1/p' push.txt)")
  rss_push+=("$(cat rss-push.txt)")

  rm -rf pulled
  start_sampler "$server_pid" rss-pull.txt
  seconds=$(timed pull.txt "$warden" pull "bench@1.$run.0" -o pulled --trust trust --server "$server_url" --token "$token")
  stop_sampler
  grep -q '^verified ' pull.txt || { echo "run $run: the pull did not verify a signature:" >&2; cat pull.txt >&2; exit 1; }
  pull_s+=("$seconds")
  pull_xfer_s+=("$(sed -n 's/^pulled .* in \([0-9.]*\) s)$/\1/p' pull.txt)")
  rss_pull+=("$(cat rss-pull.txt)")

  # The same files under a new version: every blob is already there.
  seconds=$(timed repush.txt "$warden" push model --name bench --version "1.$run.1" --sign keys/bench.key --server "$server_url" --token "$token")
  if ! grep -q "uploaded 0 of $blob_count blob(s)" repush.txt; then
    echo "run $run: pushing the unchanged model again uploaded blobs:" >&2
    cat repush.txt >&2
    exit 1
  fi
  repush_s+=("$seconds")
  rss_idle+=("$idle")
  rss_hwm+=("$(rss_kib "$server_pid" VmHWM)")
  echo "  push ${push_s[-1]} s (upload ${push_xfer_s[-1]} s), pull ${pull_s[-1]} s (download ${pull_xfer_s[-1]} s)," \
    "push again ${repush_s[-1]} s; server RSS KiB idle $idle, peak push ${rss_push[-1]}, pull ${rss_pull[-1]}, VmHWM ${rss_hwm[-1]}" >&2
  stop_server
  rm -rf data pulled
  sync
done

echo "populating 1,000 models x 10 versions" >&2
start_server "$work/data-list" "$work/server-list.log" --no-require-signature
token=$(cat "$work/data-list/admin.token")
populate=$(python3 "$repo/bench/registry_list.py" populate "$server_url" "$token" "$fixtures/logreg-a.onnx" --models 1000 --versions 10 --threads 4)
echo "$populate" >&2
populate_s=$(sed -n 's/.* in \([0-9.]*\) s .*/\1/p' <<< "$populate")
populate_rate=$(sed -n 's/.*(\([0-9]*\) versions\/s).*/\1/p' <<< "$populate")
list_rss_before=$(rss_kib "$server_pid" VmRSS)
echo "measuring list/search latency" >&2
latency=$(python3 "$repo/bench/registry_list.py" measure "$server_url" "$token" --requests 1000 --warmup 50)
list_rss_after=$(rss_kib "$server_pid" VmRSS)
list_hwm=$(rss_kib "$server_pid" VmHWM)
db_mib=$(du -sk "$work/data-list" | awk '{printf "%.0f", $1 / 1024}')
stop_server
rm -rf "$work/data-list"

# met VALUE OP LIMIT: "yes" or "no".
met() { awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {ok = (op == ">=" ? v >= l : (op == "<=" ? v <= l : v < l)); print (ok ? "yes" : "no")}'; }

p=$(median "${push_s[@]}"); px=$(median "${push_xfer_s[@]}")
l=$(median "${pull_s[@]}"); lx=$(median "${pull_xfer_s[@]}")
r=$(median "${repush_s[@]}")
idle=$(median "${rss_idle[@]}"); peak_push=$(median "${rss_push[@]}"); peak_pull=$(median "${rss_pull[@]}"); hwm=$(median "${rss_hwm[@]}")
# Growth against the highest of the sampled peaks and VmHWM (which also covers
# the server's re-hash when the unchanged model is pushed again).
top=$(( peak_push > peak_pull ? peak_push : peak_pull ))
top=$(( hwm > top ? hwm : top ))
growth=$(( top - idle ))

echo
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)," \
  "load average $load_before before / $(cut -d' ' -f1-3 /proc/loadavg) after," \
  "model $bytes bytes in $blob_count files, $runs runs (fresh server each), medians; MB = 10^6 bytes"
echo
echo "| transfer (1 GiB model) | median | target | met |"
echo "| --- | ---: | ---: | :---: |"
printf '| push --sign, wall (hash + sign + upload + server verify) | %.2f s = %s MB/s | ≥ 400 MB/s | %s |\n' "$p" "$(mbps "$p")" "$(met "$(mbps "$p")" ">=" 400)"
printf '| push, upload phase only (client-reported) | %.2f s = %s MB/s | | |\n' "$px" "$(mbps "$px")"
printf '| pull --trust, wall (download + verify) | %.2f s = %s MB/s | ≥ 400 MB/s | %s |\n' "$l" "$(mbps "$l")" "$(met "$(mbps "$l")" ">=" 400)"
printf '| pull, download phase only (client-reported) | %.2f s = %s MB/s | | |\n' "$lx" "$(mbps "$lx")"
printf '| push unchanged model as a new version (0 blobs uploaded) | %.2f s | | |\n' "$r"
printf '| server RSS idle | %s MiB | | |\n' "$(mib "$idle")"
printf '| server peak RSS during push / during pull (VmHWM) | %s / %s MiB (%s) | | |\n' "$(mib "$peak_push")" "$(mib "$peak_pull")" "$(mib "$hwm")"
printf '| server RSS growth (highest peak − idle) | %s MiB | ≤ 100 MiB | %s |\n' "$(mib "$growth")" "$(met "$(mib "$growth")" "<=" 100)"
echo
echo "| list/search, 1,000 models x 10 versions (1,000 sequential keep-alive GETs each) | p50 ms | p99 ms | max ms | target p99 | met |"
echo "| --- | ---: | ---: | ---: | ---: | :---: |"
while IFS='|' read -r label p50 p99 max _ items _; do
  printf '| %s (%s items) | %.2f | %.2f | %.2f | < 50 ms | %s |\n' "$label" "$items" "$p50" "$p99" "$max" "$(met "$p99" "<" 50)"
done <<< "$latency"
echo
printf 'populating 10,000 versions through the API (4 threads): %.1f s, %s versions/s; list server RSS %s MiB after populating, %s MiB after the queries (VmHWM %s MiB); data dir %s MiB\n' \
  "$populate_s" "$populate_rate" "$(mib "$list_rss_before")" "$(mib "$list_rss_after")" "$(mib "$list_hwm")" "$db_mib"
