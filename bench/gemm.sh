#!/usr/bin/env bash
# GEMM speed as a model sees it: a one-node MatMul model (constant B, packed at load)
# per shape, run by `warden predict --bench` (release build), against numpy's matmul
# (OpenBLAS) on the same shapes and thread count. GFLOP/s from the medians.
#
#   bench/gemm.sh [THREADS]      (default 1)
#
# Needs: python3 with numpy and onnx.
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${1:-1}
OUT=bench/out/gemm
rm -rf "$OUT" && mkdir -p "$OUT"
if [ -z "${WARDEN:-}" ]; then
  swift build -c release >/dev/null
  WARDEN=.build/release/warden
fi
printf '| m × k × n | warden median ms | warden GFLOP/s | numpy GFLOP/s |\n| --- | ---: | ---: | ---: |\n'
for shape in 256x256x256 1x512x512 64x512x512 64x576x3136; do
  IFS=x read -r M K N <<< "$shape"
  python3 - "$OUT" "$M" "$K" "$N" <<'PY'
import sys, numpy as np, onnx
from onnx import TensorProto, helper, numpy_helper
out, m, k, n = sys.argv[1], *map(int, sys.argv[2:])
rng = np.random.default_rng(1)
graph = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["c"])], "gemm",
    [helper.make_tensor_value_info("a", TensorProto.FLOAT, [m, k])], [helper.make_tensor_value_info("c", TensorProto.FLOAT, [m, n])],
    [numpy_helper.from_array(rng.standard_normal((k, n)).astype(np.float32), "b")])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), f"{out}/gemm.onnx")
np.save(f"{out}/a.npy", rng.standard_normal((m, k)).astype(np.float32))
PY
  ms=$("$WARDEN" predict "$OUT/gemm.onnx" --input "a=$OUT/a.npy" --bench 200 --threads "$THREADS" --json \
    | python3 -c "import json,sys; print(json.load(sys.stdin)['bench']['median_ms'])")
  numpy=$(OPENBLAS_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS python3 - "$M" "$K" "$N" <<'PY'
import sys, time, numpy as np
m, k, n = map(int, sys.argv[1:])
a, b = np.random.rand(m, k).astype(np.float32), np.random.rand(k, n).astype(np.float32)
a @ b
times = []
for _ in range(200):
    start = time.perf_counter(); a @ b; times.append(time.perf_counter() - start)
times.sort()
print(f"{2 * m * k * n / times[len(times) // 2] / 1e9:.0f}")
PY
)
  python3 -c "print('| $M × $K × $N | %.4f | %.0f | $numpy |' % ($ms, 2 * $M * $K * $N / ($ms / 1000) / 1e9))"
done
