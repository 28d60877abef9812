#!/usr/bin/env bash
# Warden's tree-ensemble kernels against ONNX Runtime on scikit-learn models.
#
#   bench/onnx-trees.sh [REPEATS] [THREADS]   (default 5 repeats, 2 threads)
#
# Trains three models with scikit-learn and exports them with skl2onnx
# (bench/onnx_tree_models.py): a GradientBoostingClassifier (4 classes × 100
# trees of depth 3), a GradientBoostingRegressor (300 trees of depth 5) and a
# RandomForestClassifier (100 trees of depth ≤ 12), all on 20 features. For
# each model and batch size it runs `warden predict --bench RUNS --threads
# THREADS` (release build, or $WARDEN; one warm-up) REPEATS times, and
# onnxruntime's InferenceSession.run (THREADS intra-op threads, all graph
# optimizations, one warm-up) REPEATS times in one process, and reports the
# median of the per-repeat medians, the ratio Warden/ORT and the largest
# difference between the two score outputs (probabilities or values).
# Predicted labels must match exactly; a mismatch is reported on stderr.
# Needs: python3 with numpy, scikit-learn, skl2onnx, onnx and onnxruntime.
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS=${1:-5}
THREADS=${2:-2}
OUT=bench/out/onnx-trees
mkdir -p "$OUT"
if [ -z "${WARDEN:-}" ]; then
  swift build -c release --product warden >/dev/null
  WARDEN=.build/release/warden
fi
python3 bench/onnx_tree_models.py "$OUT"

# model:batch:timed runs per repeat. Thousands of runs, so the medians describe
# the steady state: on this 2-core VM a fresh process's second thread often
# shares the first one's core for its first 100 ms or so, and a run of a few
# hundred batch-64 calls (25 ms) would time that instead.
CASES=(
  "gbdt-classifier:1:5000"
  "gbdt-classifier:64:5000"
  "gbdt-regressor:1:5000"
  "gbdt-regressor:64:5000"
  "forest-classifier:1:5000"
  "forest-classifier:64:5000"
)

printf '| model | batch | warden median ms | ORT median ms | warden/ORT | max abs diff |\n| --- | ---: | ---: | ---: | ---: | ---: |\n'
for entry in "${CASES[@]}"; do
  IFS=: read -r name batch runs <<<"$entry"
  model="$OUT/$name.onnx"
  input="$OUT/$name-$batch.npy"
  results="$OUT/warden-$name-$batch"
  medians=()
  for _ in $(seq "$REPEATS"); do
    medians+=("$("$WARDEN" predict "$model" --input "input=$input" --bench "$runs" --threads "$THREADS" --json --output-dir "$results" \
      | python3 -c "import json,sys; print(json.load(sys.stdin)['bench']['median_ms'])")")
  done
  warden=$(printf '%s\n' "${medians[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  read -r ort diff < <(python3 - "$model" "$input" "$runs" "$REPEATS" "$THREADS" "$results" <<'PY'
import os, statistics, sys, time
import numpy as np
import onnxruntime as ort
model, path, runs, repeats, threads, warden_dir = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
options = ort.SessionOptions()
options.intra_op_num_threads = threads
session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
feed = {session.get_inputs()[0].name: np.load(path)}
expected = dict(zip((o.name for o in session.get_outputs()), session.run(None, feed)))
medians = []
for _ in range(repeats):
    times = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        session.run(None, feed)
        times.append((time.perf_counter_ns() - start) / 1e6)
    medians.append(statistics.median(times))
actual = {name: np.load(os.path.join(warden_dir, f"{name}.npy")) for name in expected}
scores = session.get_outputs()[-1].name  # probabilities (classifiers) or variable (regressors)
if "label" in expected and not np.array_equal(actual["label"], expected["label"]):
    print(f"{model}: {int(np.sum(actual['label'] != expected['label']))} labels differ from onnxruntime's", file=sys.stderr)
print(statistics.median(medians), float(np.max(np.abs(actual[scores] - expected[scores]))))
PY
)
  ratio=$(python3 -c "print(f'{$warden/$ort:.2f}')")
  printf '| %s | %d | %.4f | %.4f | %s | %.1e |\n' "$name" "$batch" "$warden" "$ort" "$ratio" "$diff"
done
echo
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), warden --threads $THREADS, onnxruntime $(python3 -c 'import onnxruntime; print(onnxruntime.__version__)') with $THREADS intra-op threads, scikit-learn $(python3 -c 'import sklearn; print(sklearn.__version__)'), skl2onnx $(python3 -c 'import skl2onnx; print(skl2onnx.__version__)'), median of $REPEATS repeats"
