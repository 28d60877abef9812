#!/usr/bin/env bash
# Warden's Swift executor against ONNX Runtime on an MLP and two CNNs.
#
#   bench/onnx-cnn.sh [REPEATS] [THREADS]   (default 5 repeats, 2 threads)
#
# Generates the models with onnx.helper + numpy (bench/onnx_cnn_models.py):
# an MLP 784-512-256-10, an MNIST-size CNN and a ResNet-18-style CNN at
# 224×224 with batch norm and residual adds. For each model and batch size it
# runs `warden predict --bench RUNS --threads THREADS` (release build, one
# warm-up) REPEATS times, and onnxruntime's InferenceSession.run (THREADS
# intra-op threads, all graph optimizations, one warm-up) REPEATS times in one
# process, and reports the median of the per-repeat medians, the ratio
# Warden/ORT and the largest difference between the two outputs.
# Needs: python3 with numpy, onnx and onnxruntime.
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS=${1:-5}
THREADS=${2:-2}
OUT=bench/out/onnx-cnn
mkdir -p "$OUT"
if [ -z "${WARDEN:-}" ]; then
  swift build -c release --product warden >/dev/null
  WARDEN=.build/release/warden
fi
python3 bench/onnx_cnn_models.py "$OUT"

# model:batch:input shape after the batch:timed runs per repeat
CASES=(
  "mlp:1:784:2000"
  "mlp:64:784:500"
  "mnist-cnn:1:1,28,28:500"
  "mnist-cnn:64:1,28,28:50"
  "resnet18:1:3,224,224:20"
)

printf '| model | batch | warden median ms | ORT median ms | warden/ORT | max abs diff |\n| --- | ---: | ---: | ---: | ---: | ---: |\n'
for entry in "${CASES[@]}"; do
  IFS=: read -r name batch shape runs <<<"$entry"
  model="$OUT/$name.onnx"
  input="$OUT/$name-$batch.npy"
  python3 -c "import numpy as np; np.save('$input', np.random.default_rng(3).standard_normal(($batch, $shape)).astype(np.float32))"
  medians=()
  for _ in $(seq "$REPEATS"); do
    medians+=("$("$WARDEN" predict "$model" --input "input=$input" --bench "$runs" --threads "$THREADS" --json --output-dir "$OUT/warden-$name-$batch" \
      | python3 -c "import json,sys; print(json.load(sys.stdin)['bench']['median_ms'])")")
  done
  warden=$(printf '%s\n' "${medians[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  read -r ort diff < <(python3 - "$model" "$input" "$runs" "$REPEATS" "$THREADS" "$OUT/warden-$name-$batch" <<'PY'
import glob, statistics, sys, time
import numpy as np
import onnxruntime as ort
model, path, runs, repeats, threads, warden_dir = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
options = ort.SessionOptions()
options.intra_op_num_threads = threads
session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
feed = {session.get_inputs()[0].name: np.load(path)}
expected = session.run(None, feed)[0]
medians = []
for _ in range(repeats):
    times = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        session.run(None, feed)
        times.append((time.perf_counter_ns() - start) / 1e6)
    medians.append(statistics.median(times))
actual = np.load(glob.glob(f"{warden_dir}/*.npy")[0])
print(statistics.median(medians), float(np.max(np.abs(actual - expected))))
PY
)
  ratio=$(python3 -c "print(f'{$warden/$ort:.2f}')")
  printf '| %s | %d | %.4f | %.4f | %s | %.1e |\n' "$name" "$batch" "$warden" "$ort" "$ratio" "$diff"
done
echo
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), warden --threads $THREADS, onnxruntime $(python3 -c 'import onnxruntime; print(onnxruntime.__version__)') with $THREADS intra-op threads, median of $REPEATS repeats"
