#!/usr/bin/env bash
# Benchmarks warden hash / sign / verify on a generated 1 GiB model (two
# 512 MiB files), warm page cache, release build, against sha256sum and,
# where installed, the OpenSSF `model_signing` tool on the same files.
#
#   bench/hash-sign-verify.sh [RUNS]      (default 5; prints medians)
#
# Peers are optional: `pip install model-signing` adds the model_signing rows.
set -euo pipefail
runs=${1:-5}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${WARDEN_BENCH_DIR:-/tmp/warden-bench}
mkdir -p "$work/model"
cd "$work"

if [ ! -f model/part-1.bin ] || [ ! -f model/part-2.bin ]; then
  echo "generating 2 x 512 MiB of random weights in $work/model" >&2
  head -c 536870912 /dev/urandom > model/part-1.bin
  head -c 536870912 /dev/urandom > model/part-2.bin
fi
bytes=$(cat model/* | wc -c)

(cd "$repo" && swift build -c release >&2)
warden="$repo/.build/release/warden"
rm -f bench.key bench.pub
"$warden" keygen --type ecdsa-p256 --out bench >/dev/null

# Warm the page cache so every tool reads from memory.
cat model/* > /dev/null

# time_cmd LABEL CMD...: runs CMD $runs times and prints "LABEL median_s".
time_cmd() {
  local label=$1; shift
  local times=()
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s.%N)
    "$@" > /dev/null 2>&1
    end=$(date +%s.%N)
    times+=("$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.4f", b - a}')")
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf '%s %s\n' "$label" "$median"
}

results=()
results+=("$(time_cmd "warden hash" "$warden" hash model)")
results+=("$(time_cmd "sha256sum (both files, one process)" sha256sum model/part-1.bin model/part-2.bin)")
results+=("$(time_cmd "warden sign" "$warden" sign model --key bench.key --signature warden.sig)")
results+=("$(time_cmd "warden verify" "$warden" verify model --signature warden.sig --key bench.pub)")
if command -v model_signing >/dev/null 2>&1; then
  model_signing sign key model --private_key bench.key --signature ms.sig >/dev/null 2>&1
  results+=("$(time_cmd "model_signing sign key" model_signing sign key model --private_key bench.key --signature ms.sig)")
  results+=("$(time_cmd "model_signing verify key" model_signing verify key model --signature ms.sig --public_key bench.pub)")
  # Cross-check: each tool accepts the other's signature.
  model_signing verify key model --signature warden.sig --public_key bench.pub >/dev/null 2>&1 \
    && echo "cross-check: model_signing verifies warden's signature" >&2
  "$warden" verify model --signature ms.sig --key bench.pub >/dev/null \
    && echo "cross-check: warden verifies model_signing's signature" >&2
fi

echo
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), model $bytes bytes, $runs runs, medians"
echo
echo "| command | median s | GB/s |"
echo "| --- | ---: | ---: |"
for row in "${results[@]}"; do
  label=${row% *}; seconds=${row##* }
  printf '| %s | %.3f | %.2f |\n' "$label" "$seconds" "$(awk -v n="$bytes" -v s="$seconds" 'BEGIN {print n / s / 1e9}')"
done
