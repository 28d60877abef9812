#!/usr/bin/env bash
# The whole test suite, as README.md's second set-up command and CI run it:
#
#   scripts/test.sh                 everything below
#   SKIP_CONTRACT=1 SKIP_FUZZ=1 scripts/test.sh     swift test only (Swift is all it needs)
#
# 1. `swift build --build-tests` and `swift test`: every unit, integration and end-to-end test,
#    the S3 blob store's against moto_server (scripts/s3-test-server.sh) started here.
# 2. The HTTP contract (scripts/contract-test.sh): schemathesis, from PyPI, over every operation
#    of the served openapi.yaml against a real `warden serve` on loopback.
# 3. The fuzzers (scripts/fuzz-smoke.sh): each libFuzzer target in Fuzz/ for FUZZ_SECONDS (60).
#
# Before swift test it starts a throwaway PostgreSQL server (scripts/postgres-test-server.sh)
# for the PostgreSQL cases of the metadata-store suites, unless WARDEN_TEST_POSTGRES_URL is
# already set, and stops it at the end. Without PostgreSQL's binaries those cases are skipped,
# visibly; under CI (CI=true) a server that does not start fails the run.
#
# Ends with one plain line, `tests: N passed, N failed, N skipped`: swift test's counts, plus
# one test for the contract run and one per fuzz target. Exits non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
logs=${TEST_LOGS:-$(mktemp -d)}
status=0

swift --version
# Test servers started below, stopped on exit whatever happens.
cleanups=()
trap 'for step in "${cleanups[@]}"; do eval "$step"; done' EXIT

# PostgreSQL for the metadata-store suites.
if [[ -z ${WARDEN_TEST_POSTGRES_URL:-} ]]; then
    postgres_dir=$(mktemp -d)
    if WARDEN_TEST_POSTGRES_URL=$(scripts/postgres-test-server.sh start "$postgres_dir"); then
        export WARDEN_TEST_POSTGRES_URL
        cleanups+=('scripts/postgres-test-server.sh stop "$postgres_dir"')
        echo "postgres: test server on ${WARDEN_TEST_POSTGRES_URL##*@}"
    else
        rm -rf "$postgres_dir"
        echo "postgres: no test server; the PostgreSQL cases will be skipped" >&2
        [[ -z ${CI:-} ]] || { echo "tests: 0 passed, 1 failed, 0 skipped"; exit 1; }
    fi
fi
if ! swift build --build-tests; then
    echo "tests: 0 passed, 1 failed, 0 skipped"
    exit 1
fi
# S3: the S3 blob store's suites run against moto_server on loopback (scripts/s3-test-server.sh);
# without it they are skipped and say so. Installed from PyPI when missing.
command -v moto_server >/dev/null || python3 -m pip install --quiet --disable-pip-version-check 'moto[server]' 2>&1 | grep -v "Running pip as the 'root' user" || true
if command -v moto_server >/dev/null && s3_endpoint=$(scripts/s3-test-server.sh start "$logs/s3-test-server.pid"); then
    cleanups+=('scripts/s3-test-server.sh stop "$logs/s3-test-server.pid"')
    export WARDEN_TEST_S3_ENDPOINT=$s3_endpoint AWS_ACCESS_KEY_ID=warden-test AWS_SECRET_ACCESS_KEY=warden-test-secret
    echo "S3 test server: $s3_endpoint"
else
    echo "S3 test server: not available; the S3 suites will be skipped"
fi
swift test --skip-build 2>&1 | tee "$logs/swift-test.log"
summary=$(scripts/summarize-tests.sh "$logs/swift-test.log") || status=1
echo "swift test: ${summary#tests: }"
passed=$(sed -nE 's/^tests: ([0-9]+) passed.*/\1/p' <<<"$summary"); passed=${passed:-0}
failed=$(sed -nE 's/.* ([0-9]+) failed.*/\1/p' <<<"$summary"); failed=${failed:-1}
skipped=$(sed -nE 's/.* ([0-9]+) skipped.*/\1/p' <<<"$summary"); skipped=${skipped:-0}

if [[ -n ${SKIP_CONTRACT:-} ]]; then
    skipped=$((skipped + 1)); echo "contract: skipped (SKIP_CONTRACT)"
elif WARDEN_BIN=.build/debug/warden CONTRACT_SEED=${CONTRACT_SEED:-20261204} scripts/contract-test.sh 2>&1 | tee "$logs/contract.log"; then
    passed=$((passed + 1)); echo "contract: passed"
else
    failed=$((failed + 1)); status=1; echo "contract: FAILED (log: $logs/contract.log)"
fi

if [[ -n ${SKIP_FUZZ:-} ]]; then
    skipped=$((skipped + 5)); echo "fuzz: skipped (SKIP_FUZZ)"
else
    scripts/fuzz-smoke.sh "${FUZZ_SECONDS:-60}" 2>&1 | tee "$logs/fuzz.log"
    clean=$(grep -c '^fuzz-smoke: .* clean:' "$logs/fuzz.log" || true)
    dirty=$((5 - clean))
    passed=$((passed + clean)); failed=$((failed + dirty))
    [[ $dirty -eq 0 ]] || status=1
    echo "fuzz: $clean clean, $dirty failed"
fi

echo "tests: $passed passed, $failed failed, $skipped skipped"
exit $status
