#!/usr/bin/env bash
# Benchmarks `warden inspect --json` on a generated ~512 MiB ONNX model (eight
# 4096x4096 float32 Gemm layers, weights in external data), warm page cache,
# release build, against the Python peer: `onnx.load` (which loads the external
# data) and a SHA-256 over every initializer's bytes. Each command runs under
# GNU time; the script prints median elapsed seconds and median peak RSS.
#
#   bench/inspect-large.sh [RUNS]      (default 5; prints medians)
#
# WARDEN=/path/to/warden skips the release build; WARDEN_BENCH_DIR moves the
# work directory (default bench/out/inspect, git-ignored). The model is made
# once (numpy seed 0) and reused; delete the directory to make it again.
# Needs python3 with onnx and numpy (`pip install onnx numpy`).
set -euo pipefail
runs=${1:-5}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${WARDEN_BENCH_DIR:-$repo/bench/out/inspect}
model=$work/model
mkdir -p "$work"
cd "$work"

if [ ! -x /usr/bin/time ]; then
  echo "installing GNU time (/usr/bin/time)" >&2
  apt-get install -y time >&2 || { apt-get update >&2 && apt-get install -y time >&2; }
fi

if [ ! -f "$model/model.onnx" ] || [ ! -f "$model/weights.bin" ]; then
  echo "generating a 512 MiB ONNX model with external data in $model" >&2
  rm -rf model.tmp
  python3 - model.tmp <<'EOF'
import os, sys
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out, width, layers = sys.argv[1], 4096, 8
rng = np.random.default_rng(0)
inits, nodes, x = [], [], "input"
for i in range(layers):
    w = rng.standard_normal((width, width), dtype=np.float32) / np.float32(np.sqrt(width))
    inits += [numpy_helper.from_array(w, f"fc{i}.weight"),
              numpy_helper.from_array(np.zeros(width, np.float32), f"fc{i}.bias")]
    y = "output" if i == layers - 1 else f"h{i}"
    nodes.append(helper.make_node("Gemm", [x, f"fc{i}.weight", f"fc{i}.bias"], [y], name=f"fc{i}"))
    if i < layers - 1:
        nodes.append(helper.make_node("Relu", [y], [f"a{i}"], name=f"relu{i}"))
        x = f"a{i}"
graph = helper.make_graph(
    nodes, "bench-mlp",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", width])],
    [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", width])],
    initializer=inits,
)
model = helper.make_model(graph, producer_name="warden-bench", opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
os.makedirs(out)
onnx.save_model(model, f"{out}/model.onnx", save_as_external_data=True,
                all_tensors_to_one_file=True, location="weights.bin", size_threshold=0)
onnx.checker.check_model(f"{out}/model.onnx")
EOF
  rm -rf "$model"
  mv model.tmp "$model"
fi
bytes=$(cat "$model"/* | wc -c)

if [ -n "${WARDEN:-}" ]; then
  warden=$WARDEN
else
  (cd "$repo" && swift build -c release >&2)
  warden="$repo/.build/release/warden"
fi

# Warm the page cache so every tool reads from memory.
cat "$model"/* > /dev/null

# The peer: load the model with its external data, hash every initializer.
peer='import hashlib, sys, onnx
m = onnx.load(sys.argv[1])
h = hashlib.sha256()
for t in m.graph.initializer:
    h.update(t.raw_data)
print(h.hexdigest())'

# time_cmd LABEL CMD...: runs CMD $runs times under GNU time and prints
# "LABEL median_s median_peak_rss_kib". Stops the script if CMD fails.
time_cmd() {
  local label=$1; shift
  local times=() rss=()
  for _ in $(seq "$runs"); do
    if ! /usr/bin/time -f '%e %M' -o time.txt "$@" > /dev/null 2> stderr.txt; then
      echo "$label failed:" >&2
      cat stderr.txt >&2
      exit 1
    fi
    read -r seconds kib < <(tail -n 1 time.txt)
    times+=("$seconds"); rss+=("$kib")
  done
  median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
  printf '%s|%s|%s\n' "$label" "$(median "${times[@]}")" "$(median "${rss[@]}")"
}

results=()
results+=("$(time_cmd "warden inspect --json" "$warden" inspect "$model" --json)")
results+=("$(time_cmd "python3 onnx.load + sha256 of initializers" python3 -c "$peer" "$model/model.onnx")")

echo
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), model $bytes bytes, $runs runs, medians"
echo
echo "| command | median s | GB/s | median peak RSS MiB |"
echo "| --- | ---: | ---: | ---: |"
for row in "${results[@]}"; do
  IFS='|' read -r label seconds kib <<< "$row"
  printf '| %s | %.2f | %.2f | %.0f |\n' "$label" "$seconds" \
    "$(awk -v n="$bytes" -v s="$seconds" 'BEGIN {print (s > 0 ? n / s / 1e9 : 0)}')" \
    "$(awk -v k="$kib" 'BEGIN {print k / 1024}')"
done
