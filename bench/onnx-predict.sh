#!/usr/bin/env bash
# Warden's Swift executor against ONNX Runtime on the models it runs today.
#
#   bench/onnx-predict.sh [RUNS]     (default 500 timed inferences per model and batch)
#
# For each model and batch size: `warden predict --bench RUNS` (release build,
# one warm-up) and onnxruntime's InferenceSession.run on the same input
# (2 intra-op threads, one warm-up), both timing the inference call alone in
# one process. Prints medians and p99 in ms and the ratio Warden/ORT.
# Needs: python3 with numpy and onnxruntime (pip install numpy onnxruntime).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-500}
OUT=bench/out/onnx-predict
mkdir -p "$OUT"
if [ -z "${WARDEN:-}" ]; then
  swift build -c release >/dev/null
  WARDEN=.build/release/warden
fi

SK=Tests/WardenModelTests/Fixtures/sklearn
TR=Tests/WardenONNXTests/Fixtures/runtime/trees
MODELS=(
  "mlp-2layer:$SK/mlp-2layer.onnx"
  "logreg:$SK/logreg-a.onnx"
  "forest-3:$SK/forest.onnx"
  "gbdt-30:$TR/gbdt-classifier.onnx"
  "gbdt-reg-20:$TR/gbdt-regressor.onnx"
)

printf '| model | batch | warden median ms | warden p99 ms | ORT median ms | ORT p99 ms | warden/ORT |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n'
for entry in "${MODELS[@]}"; do
  name=${entry%%:*}
  model=${entry#*:}
  for batch in 1 64; do
    input="$OUT/$name-$batch.npy"
    python3 -c "import numpy as np; np.save('$input', np.random.default_rng(3).standard_normal(($batch, 4)).astype(np.float32))"
    warden=$("$WARDEN" predict "$model" --input "input=$input" --bench "$RUNS" --json \
      | python3 -c "import json,sys; b=json.load(sys.stdin)['bench']; print(b['median_ms'], b['p99_ms'])")
    ort=$(python3 - "$model" "$input" "$RUNS" <<'PY'
import sys, time
import numpy as np
import onnxruntime as ort
model, path, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
options = ort.SessionOptions()
options.intra_op_num_threads = 2
session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
feed = {session.get_inputs()[0].name: np.load(path)}
session.run(None, feed)
times = []
for _ in range(runs):
    start = time.perf_counter_ns()
    session.run(None, feed)
    times.append((time.perf_counter_ns() - start) / 1e6)
times.sort()
print(times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))])
PY
)
    read -r wm wp <<<"$warden"
    read -r om op <<<"$ort"
    ratio=$(python3 -c "print(f'{$wm/$om:.2f}')")
    printf '| %s | %d | %.4f | %.4f | %.4f | %.4f | %s |\n' "$name" "$batch" "$wm" "$wp" "$om" "$op" "$ratio"
  done
done
echo
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $RUNS runs each, onnxruntime $(python3 -c 'import onnxruntime; print(onnxruntime.__version__)') with 2 intra-op threads"
