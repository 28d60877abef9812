#!/usr/bin/env bash
# The cost of WASM pipelines, and WasmKit's fuel-metered speed against wasmtime.
#
#   bench/wasm.sh [ROUNDS]     (default 5 rounds; medians of the rounds are printed)
#
# 1. Per-request cost of pre + post around a small model: `warden predict --bench`
#    (release build, in one process, the call alone) on
#      - the bare iris LogisticRegression (model.onnx of the iris-text fixture),
#      - the same model between identity pre/post modules (the fixed cost: two calls
#        into reused instances, their memory restored, the tensor-set copies in and out),
#      - the iris-text pipeline: CSV text -> model -> top-2 labels (real modules),
#        with instances reused (the default) and fresh for every call.
# 2. A compute loop (spin.wat, n = 10,000,000, ~10 operators per iteration) as a whole
#    WASM model in warden (fuel metering on, as Warden always runs) and in wasmtime
#    (PyPI, Cranelift JIT, consume_fuel on), both timing one call into the module.
# Needs: python3 with numpy and wasmtime (pip install numpy wasmtime).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
OUT=bench/out/wasm
rm -rf "$OUT"; mkdir -p "$OUT"
if [ -z "${WARDEN:-}" ]; then
  swift build -c release --product warden >/dev/null
  WARDEN=.build/release/warden
fi
FIX=Tests/WardenServingTests/Fixtures/pipelines
MODULES=Tests/WardenSandboxTests/Modules

# The identity pipeline around the same model.
mkdir -p "$OUT/identity"
cp "$FIX/iris-text/1/model.onnx" "$OUT/identity/"
cp "$MODULES/identity.wat" "$OUT/identity/pre.wat"
cp "$MODULES/identity.wat" "$OUT/identity/post.wat"
cat > "$OUT/identity/warden.yaml" <<'CARD'
preprocess: pre.wat
postprocess: post.wat
inputs:
  - {name: input, dtype: float32, shape: [batch, 4]}
outputs:
  - {name: label, dtype: int64, shape: [batch]}
  - {name: probabilities, dtype: float32, shape: [batch, 3]}
CARD
# The iris-text pipeline with a fresh instance for every call (sandbox.reuse_instances: false).
cp -r "$FIX/iris-text/1" "$OUT/reuse"
rm "$OUT/reuse/model.sig"
printf '  reuse_instances: false\n' >> "$OUT/reuse/warden.yaml"
# spin as a whole model with enough fuel for n = 1e7.
mkdir -p "$OUT/spin"
cp "$MODULES/spin.wat" "$OUT/spin/"
cat > "$OUT/spin/warden.yaml" <<'CARD'
format: wasm
inputs:
  - {name: n, dtype: int64, shape: [1]}
outputs:
  - {name: sum, dtype: int64, shape: [1]}
sandbox: {fuel: 10000000000, timeout_ms: 10000}
CARD
python3 -c "
import numpy as np
np.save('$OUT/row.npy', np.array([[5.1, 3.5, 1.4, 0.2]], dtype=np.float32))
np.save('$OUT/n.npy', np.array([10_000_000], dtype=np.int64))"
printf '5.1,3.5,1.4,0.2' > "$OUT/line.txt"

median() { python3 -c "import statistics,sys; print('%.1f' % statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }
us() { "$WARDEN" predict "$@" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['bench']['median_ms'] * 1000)"; }

bare=(); identity=(); text=(); reuse=(); wk=(); wt=()
for _ in $(seq "$ROUNDS"); do
  bare+=("$(us "$FIX/iris-text/1/model.onnx" --input "input=$OUT/row.npy" --bench 3000)")
  identity+=("$(us "$OUT/identity" --input "input=$OUT/row.npy" --bench 3000)")
  text+=("$(us "$FIX/iris-text/1" --input "csv=@$OUT/line.txt" --bench 3000)")
  reuse+=("$(us "$OUT/reuse" --input "csv=@$OUT/line.txt" --bench 1000)")
  wk+=("$(us "$OUT/spin" --input "n=$OUT/n.npy" --bench 5)")
  wt+=("$(python3 - "$MODULES/spin.wat" <<'PY'
import statistics, struct, sys, time
from wasmtime import Config, Engine, FuncType, Linker, Module, Store, ValType
config = Config()
config.consume_fuel = True
engine = Engine(config)
module = Module(engine, open(sys.argv[1]).read())
linker = Linker(engine)
linker.define_func("warden", "fail", FuncType([ValType.i32(), ValType.i32()], []), lambda a, b: None)
# The WTS1 set of one tensor: n, INT64 [1].
payload = b"WTS1" + struct.pack("<IIIIII", 1, 1, 7, 1, 8, 1) + b"n\0\0\0" + struct.pack("<q", 10_000_000)
times = []
for _ in range(6):
    store = Store(engine)
    store.set_fuel(10**12)
    instance = linker.instantiate(store, module)
    exports = instance.exports(store)
    pointer = exports["warden_alloc"](store, len(payload))
    exports["memory"].write(store, payload, pointer)
    start = time.perf_counter()
    exports["warden_process"](store, pointer, len(payload))
    times.append((time.perf_counter() - start) * 1e6)
print(statistics.median(times[1:]))
PY
)")
done

b=$(median "${bare[@]}"); i=$(median "${identity[@]}"); t=$(median "${text[@]}"); r=$(median "${reuse[@]}")
k=$(median "${wk[@]}"); m=$(median "${wt[@]}")
echo "## Per-request cost of WASM pre + post (median of $ROUNDS rounds of per-call medians, µs)"
echo
echo "| what | µs per request | over the bare model |"
echo "| --- | ---: | ---: |"
echo "| iris LogisticRegression alone | $b | |"
echo "| identity pre + identity post around it | $i | $(python3 -c "print('%.1f' % ($i - $b))") |"
echo "| CSV pre + top-2 post around it (iris-text), instances reused (default) | $t | $(python3 -c "print('%.1f' % ($t - $b))") |"
echo "| the same with a fresh instance per call (sandbox.reuse_instances: false) | $r | $(python3 -c "print('%.1f' % ($r - $b))") |"
echo
echo "## Fuel-metered compute loop, spin.wat, n = 10,000,000 (median of $ROUNDS rounds, ms per call)"
echo
echo "| runtime | ms | ns per iteration |"
echo "| --- | ---: | ---: |"
echo "| WasmKit 0.4.2 in warden (interpreter, fuel on) | $(python3 -c "print('%.1f' % ($k/1000))") | $(python3 -c "print('%.2f' % ($k*1000/1e7))") |"
echo "| wasmtime $(python3 -c 'import importlib.metadata as m; print(m.version("wasmtime"))') (Cranelift JIT, fuel on) | $(python3 -c "print('%.1f' % ($m/1000))") | $(python3 -c "print('%.2f' % ($m*1000/1e7))") |"
echo
echo "WasmKit / wasmtime: $(python3 -c "print('%.1f' % ($k/$m))")x"
