#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for SECONDS (default 60).
#
#   Fuzz/run.sh [SECONDS] [TARGET...]      TARGET: FuzzONNX, FuzzModelCard, FuzzSandbox, FuzzV2Request, FuzzExecute (default: all)
#
# Each target fuzzes a temporary copy of Fuzz/Corpus/<name>/, so the committed seed
# corpus never grows. Crash, timeout and OOM inputs go to Fuzz/out/ (git-ignored), and so
# does each run's log (Fuzz/out/<target>.log). Exits non-zero when a target found a bug.
# Environment:
#   NICE=10         niceness of the build and the fuzzers, so other builds are not starved
#   JOBS=1          fuzzer processes per target, in parallel on the same corpus
#   KEEP_CORPUS=1   fuzz out/corpus/<target>/ instead (seeded from Corpus/ the first time,
#                   git-ignored), so the next run starts from what this one found
#   FUZZ_ARGS=...   extra libFuzzer flags, e.g. FUZZ_ARGS="-use_value_profile=1 -max_len=8192"
set -euo pipefail

seconds=${1:-60}
shift || true
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=(FuzzONNX FuzzModelCard FuzzSandbox FuzzV2Request FuzzExecute)
nice_level=${NICE:-10}
jobs=${JOBS:-1}
read -r -a extra <<<"${FUZZ_ARGS:-}"

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
mkdir -p out

# SwiftPM passes --sanitize=fuzzer --sanitize=address to swiftc as two flags, and swiftc
# keeps only the last -sanitize= it sees: Swift code would get ASan but no coverage
# instrumentation (libFuzzer would only see the C code, libyaml and BoringSSL). The
# trailing -Xswiftc -sanitize=fuzzer,address turns both on for every Swift module; the
# --sanitize flags are kept for the C targets and the link (libFuzzer's main()).
build=(swift build -c debug --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address)
echo "== building: ${build[*]}"
nice -n "$nice_level" "${build[@]}"
bin=$("${build[@]}" --show-bin-path)

scratch=$(mktemp -d "${TMPDIR:-/tmp}/warden-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

status=0
for target in "${targets[@]}"; do
    leaks=1
    case "$target" in
        FuzzONNX) corpus=onnx dict=onnx.dict ;;
        FuzzModelCard) corpus=card dict=card.dict ;;
        FuzzSandbox) corpus=sandbox dict=sandbox.dict ;;
        FuzzV2Request) corpus=v2 dict=v2.dict ;;
        # The models it loads once stay referenced from a static through Data values whose
        # pointers Swift packs with tag bits, which LeakSanitizer reports as leaked at exit.
        FuzzExecute) corpus=execute dict=execute.dict leaks=0 ;;
        *) echo "unknown target '$target'" >&2; exit 2 ;;
    esac
    # The model is fed as "fuzz.onnx", so external data resolves against the working
    # directory: give it a real weights.bin to read, and keep the corpus outside it.
    work="$scratch/$target/work"
    mkdir -p "$work"
    cp ExternalData/weights.bin "$work/"
    if [[ ${KEEP_CORPUS:-0} == 1 ]]; then
        dir="$here/out/corpus/$target"
        if [[ ! -d $dir ]]; then mkdir -p "$dir" && cp "Corpus/$corpus"/* "$dir/"; fi
    else
        dir="$scratch/$target/corpus"
        mkdir -p "$dir" && cp "Corpus/$corpus"/* "$dir/"
    fi
    log="$here/out/$target.log"
    echo "== $target: ${seconds}s on $dir ($(ls "$dir" | wc -l) inputs, from Corpus/$corpus), log in out/$target.log"
    args=(
        -detect_leaks="${leaks:-1}"
        -max_total_time="$seconds"
        -rss_limit_mb=4096
        -timeout=60
        -dict="$here/$dict"
        -artifact_prefix="$here/out/$target-"
        -print_final_stats=1
        ${extra[@]+"${extra[@]}"}
        "$dir"
    )
    if [[ $jobs -gt 1 ]]; then
        args=(-jobs="$jobs" -workers="$jobs" "${args[@]}")
    fi
    set +e
    (cd "$work" && ASAN_OPTIONS="detect_leaks=$leaks${ASAN_OPTIONS:+:$ASAN_OPTIONS}" nice -n "$nice_level" "$bin/$target" "${args[@]}") >"$log" 2>&1
    rc=$?
    set -e
    # With JOBS > 1, libFuzzer writes each worker's log to fuzz-N.log in its directory.
    for worker in "$work"/fuzz-*.log; do
        [[ -e $worker ]] && cp "$worker" "$here/out/$target-$(basename "$worker")"
    done
    # The closing coverage line and the final stats.
    grep -E '^#[0-9]+[[:space:]]+(DONE|INITED)|^Done [0-9]+ runs|^stat::' "$log" || true
    echo "   corpus after the run: $(ls "$dir" | wc -l) inputs"
    if [[ $rc -ne 0 ]]; then
        status=1
        echo "!! $target exited $rc; see out/$target.log and the artifacts:" >&2
        ls -1 out/"$target"-* 2>/dev/null >&2 || true
        grep -m1 -A40 -E '^==[0-9]+==ERROR|Fatal error|^SUMMARY' "$log" >&2 || tail -40 "$log" >&2
    fi
done
exit $status
