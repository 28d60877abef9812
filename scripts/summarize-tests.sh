#!/usr/bin/env bash
# Prints one plain closing line from a `swift test` log:
#
#   scripts/summarize-tests.sh LOG      ->  tests: N passed, N failed, N skipped
#
# Counts come from Swift Testing's own lines: the closing "Test run with N tests …"
# gives the total (skipped tests included), each "Test X failed after …" is a failed
# test (a parameterised test counts once), and each "Test X skipped[: "reason"]" or
# "Test X was cancelled after …" (`Test.cancel`) is a skipped one. XCTest's
# "Executed 0 tests" lines are only the empty XCTest half and are ignored.
# Exits 1 when a test failed or the log has no Swift Testing summary (the run crashed
# or never started), 2 on a usage error, 0 otherwise.
set -euo pipefail

if [[ $# -ne 1 || ! -r $1 ]]; then
    echo "usage: $0 LOG   (LOG: the output of swift test, readable)" >&2
    exit 2
fi
log=$1

# The last run's summary: "✔ Test run with 537 tests in 80 suites passed after …"
# or "✘ Test run with 537 tests in 80 suites failed after … with 3 issues."
summary=$(grep -aE '^[^ ]+ Test run with [0-9]+ tests? ' "$log" | tail -1 || true)
if [[ -z $summary ]]; then
    skipped=$(grep -acE '^[^ ]+ Test .*( skipped(\.|: ".*")| was cancelled after [0-9.]+ seconds.*)$' "$log" || true)
    echo "tests: no Swift Testing summary in $log (the run crashed or did not start); ${skipped} skipped before that" >&2
    exit 1
fi
total=$(sed -nE 's/.* Test run with ([0-9]+) tests? .*/\1/p' <<<"$summary")
# Test-level lines only: "Suite … failed" and the "Test run with …" line are not tests.
failed=$(grep -aE '^[^ ]+ Test .* failed after [0-9.]+ seconds' "$log" | grep -acvE '^[^ ]+ Test run with ' || true)
skipped=$(grep -acE '^[^ ]+ Test .*( skipped(\.|: ".*")| was cancelled after [0-9.]+ seconds.*)$' "$log" || true)
# A run that failed without a failed test line (an issue outside any test) still fails.
if [[ $failed -eq 0 ]] && grep -q ' failed after ' <<<"$summary"; then failed=1; fi
passed=$((total - failed - skipped))
echo "tests: $passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
