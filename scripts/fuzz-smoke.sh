#!/usr/bin/env bash
# A bounded fuzzing smoke run for CI: every libFuzzer target in Fuzz/ for SECONDS each
# (default 60), failing on a crash, a timeout, an out-of-memory input, an ASan report or a
# fuzzer that did not run at all.
#
#   scripts/fuzz-smoke.sh [SECONDS] [TARGET...]     TARGET as in Fuzz/run.sh (default: all five)
#   FUZZ_SECONDS=30 scripts/fuzz-smoke.sh           the same, from the environment
#
# It is Fuzz/run.sh (which builds with -sanitize=fuzzer,address and fuzzes a scratch copy of
# the seed corpus, so Fuzz/Corpus never grows) plus the checks a CI job needs: each target's
# log must show libFuzzer finishing ("Done N runs"), and no crash-/timeout-/oom-/leak- artifact
# may appear in Fuzz/out/ during this run. NICE, JOBS and FUZZ_ARGS pass through to run.sh.
# libFuzzer's random seed is fixed (FUZZ_SEED, default 20261205) so that a CI failure can be
# replayed: the same seed walks the same mutations, only as far as the machine's speed allows.
# Exits 0 when every target ran clean, 1 otherwise, 2 on a usage error.
set -euo pipefail

seconds=${1:-${FUZZ_SECONDS:-60}}
shift || true
if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 [SECONDS] [TARGET...]   (SECONDS a positive whole number, got '$seconds')" >&2
    exit 2
fi
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=(FuzzONNX FuzzModelCard FuzzSandbox FuzzV2Request FuzzExecute)

fuzz=$(cd "$(dirname "$0")/../Fuzz" && pwd)
mkdir -p "$fuzz/out"
# Artifacts that were not in out/ before this run come from it; older ones are left alone.
artifacts() {
    find "$fuzz/out" -maxdepth 1 -name "$1-*" \( -name '*crash-*' -o -name '*timeout-*' -o -name '*oom-*' -o -name '*leak-*' -o -name '*slow-unit-*' \) -print | sort
}
declare -A before
for target in "${targets[@]}"; do
    rm -f "$fuzz/out/$target.log"
    before[$target]=$(artifacts "$target")
done

export FUZZ_ARGS="-seed=${FUZZ_SEED:-20261205} ${FUZZ_ARGS:-}"
status=0
"$fuzz/run.sh" "$seconds" "${targets[@]}" || status=$?

failed=()
for target in "${targets[@]}"; do
    log="$fuzz/out/$target.log"
    new=$(comm -13 <(echo "${before[$target]}") <(artifacts "$target") | sed '/^$/d')
    if [[ ! -s $log ]]; then
        echo "fuzz-smoke: $target did not run (no log; did the build fail?)" >&2
        failed+=("$target")
    elif [[ -n $new ]]; then
        echo "fuzz-smoke: $target found a bug; the input is in:" >&2
        echo "$new" >&2
        failed+=("$target")
    elif ! grep -qE '^Done [0-9]+ runs' "$log"; then
        echo "fuzz-smoke: $target stopped before its ${seconds}s were up; the end of its log:" >&2
        tail -20 "$log" >&2
        failed+=("$target")
    else
        echo "fuzz-smoke: $target clean: $(grep -E '^Done [0-9]+ runs' "$log" | tail -1)"
    fi
done

if [[ ${#failed[@]} -gt 0 || $status -ne 0 ]]; then
    echo "fuzz-smoke: FAILED: ${failed[*]:-Fuzz/run.sh exited $status}" >&2
    exit 1
fi
echo "fuzz-smoke: ${#targets[@]} targets, ${seconds}s each, no crash"
