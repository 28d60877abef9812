#!/usr/bin/env bash
# The API contract against a real server: schemathesis (4.x, from PyPI) sends generated
# requests to every operation of the served /openapi.yaml, with every check, and this
# exits non-zero unless it found nothing: no server error, no status code, content type,
# header or body the document does not promise, no valid request refused, no invalid one
# accepted.
#
#   scripts/contract-test.sh                      builds the debug warden, then runs
#   WARDEN_BIN=.build/release/warden scripts/contract-test.sh
#
# Settings (environment):
#   WARDEN_BIN               the warden binary to test (default: swift build, debug)
#   CONTRACT_MAX_EXAMPLES    generated cases per operation and phase (default 20)
#   CONTRACT_TIME_LIMIT      seconds for the schemathesis run, killed after (default 240)
#   CONTRACT_SEED            schemathesis's random seed, to replay a run (default: random)
#   CONTRACT_REPORT_DIR      where the JSON and JUnit reports go (default: a temporary folder)
#
# All checks run (schemathesis's default; --checks all would re-enable what
# scripts/contract.toml turns off for a reason it gives).
# The server runs on 127.0.0.1 with a free port and a fresh data folder, both removed at
# the end; schemathesis uses the admin token the server wrote there. The token's own id is
# kept out of DELETE /api/v1/tokens/{id} (scripts/contract-hooks.py), so the run cannot
# revoke the token it runs with; every other id is tried.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
max_examples=${CONTRACT_MAX_EXAMPLES:-20}
time_limit=${CONTRACT_TIME_LIMIT:-240}

if [ -n "${WARDEN_BIN:-}" ]; then
  warden=$WARDEN_BIN
else
  swift build --product warden >&2
  warden="$(swift build --show-bin-path)/warden"
fi
[ -x "$warden" ] || { echo "contract: no warden binary at '$warden' (set WARDEN_BIN or build it)" >&2; exit 2; }

if ! command -v schemathesis >/dev/null 2>&1; then
  echo "contract: installing schemathesis 4.x from PyPI" >&2
  python3 -m pip install --quiet 'schemathesis>=4,<5' >&2
fi
schemathesis --version | grep -qE ' 4\.' || { echo "contract: schemathesis 4.x is needed, found: $(schemathesis --version)" >&2; exit 2; }

work=$(mktemp -d)
reports=${CONTRACT_REPORT_DIR:-$work/reports}
mkdir -p "$reports"
server=""
cleanup() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Port 0: the server picks a free port and prints it, so two runs never collide.
# A signing key the server trusts, so the seeded version below is served under /v2.
mkdir -p "$work/trust" "$work/seed" "$work/key"
"$warden" keygen --out "$work/key/contract" >/dev/null
cp "$work/key/contract.pub" "$work/trust/"
cp "$repo/Tests/WardenModelTests/Fixtures/sklearn/logreg-a.onnx" "$work/seed/model.onnx"
"$warden" sign "$work/seed" --key "$work/key/contract.key" --signature "$work/seed.sig" >/dev/null
"$warden" serve --data "$work/data" --host 127.0.0.1 --port 0 --trust "$work/trust" --log-level warning >"$work/serve.out" 2>"$work/serve.err" &
server=$!
port=""
for _ in $(seq 600); do
  port=$(sed -nE 's|^warden serving on http://127\.0\.0\.1:([0-9]+).*|\1|p' "$work/serve.out")
  [ -n "$port" ] && break
  kill -0 "$server" 2>/dev/null || { echo "contract: warden serve exited:" >&2; cat "$work/serve.err" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "contract: warden serve did not start within 60 s" >&2; cat "$work/serve.err" >&2; exit 1; }
base="http://127.0.0.1:$port"
curl -sf "$base/readyz" >/dev/null || { echo "contract: $base/readyz does not answer" >&2; exit 1; }
token=$(tr -d '[:space:]' <"$work/data/admin.token")
token_id=$(curl -sf -H "Authorization: Bearer $token" "$base/api/v1/tokens" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["tokens"][0]["id"])')
# The identifiers the document's examples use exist, so generated requests reach past 404:
# the model fraud-detector, its signed version 1.0.0 (model.onnx) at the alias production,
# so served under /v2, and the blob sha256:2c26…e7ae holding "foo".
api() { curl -sS --fail-with-body -H "Authorization: Bearer $token" -H "Content-Type: application/json" "$@"; }
model="$work/seed/model.onnx"
model_digest="sha256:$(sha256sum "$model" | cut -d' ' -f1)"
{
  api -X POST "$base/api/v1/models" -d '{"name": "fraud-detector", "description": "contract test seed"}' &&
  api -X PUT "$base/api/v1/blobs/$model_digest" -H "Content-Type: application/octet-stream" --data-binary "@$model" &&
  api -X PUT "$base/api/v1/blobs/sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae" --data-binary foo &&
  api -X POST "$base/api/v1/models/fraud-detector/versions" \
    -d "{\"version\": \"1.0.0\", \"files\": [{\"path\": \"model.onnx\", \"digest\": \"$model_digest\", \"size\": $(stat -c %s "$model")}], \"bundle\": $(cat "$work/seed.sig")}" &&
  api -X PUT "$base/api/v1/models/fraud-detector/aliases/production" -d '{"version": "1.0.0"}'
} >"$work/seed.log" || { echo "contract: seeding the examples failed:" >&2; cat "$work/seed.log" >&2; exit 1; }

# From a file, not the URL: schemathesis leaves out the operation that serves the schema
# it was loaded from, and GET /openapi.yaml is one of the operations to test.
curl -sf "$base/openapi.yaml" -o "$work/openapi.yaml"
operations=$(python3 -c '
import sys, yaml
paths = yaml.safe_load(sys.stdin)["paths"]
print(sum(1 for item in paths.values() for key in item if key in ("get", "put", "post", "delete", "patch", "head", "options", "trace")))' <"$work/openapi.yaml")
echo "contract: warden on $base, $operations operations in /openapi.yaml, up to $max_examples examples each, ${time_limit} s at most" >&2

seed_option=()
[ -n "${CONTRACT_SEED:-}" ] && seed_option=(--seed "$CONTRACT_SEED")
status=0
cd "$work"  # schemathesis keeps a cache folder in the current directory, not in the repository
WARDEN_CONTRACT_TOKEN_ID=$token_id SCHEMATHESIS_HOOKS=contract-hooks PYTHONPATH="$repo/scripts${PYTHONPATH:+:$PYTHONPATH}" \
  timeout --signal=INT --kill-after=20 "$time_limit" \
  schemathesis --config-file "$repo/scripts/contract.toml" run "$work/openapi.yaml" --url "$base" \
    --max-examples "$max_examples" "${seed_option[@]}" \
    --header "Authorization: Bearer $token" \
    --workers 2 --request-timeout 30 --no-color \
    --report json,junit --report-dir "$reports" || status=$?

# The figures: operations covered, requests sent, failures by check.
python3 "$repo/scripts/contract-summary.py" "$reports" "$operations" || status=$((status == 0 ? 1 : status))
if grep -qiE "fatal|panic|precondition" "$work/serve.err"; then
  echo "contract: the server's log holds a crash:" >&2
  grep -iE "fatal|panic|precondition" "$work/serve.err" | head -20 >&2
  status=1
fi
kill -0 "$server" 2>/dev/null || { echo "contract: the server died during the run" >&2; tail -20 "$work/serve.err" >&2; status=1; }
if [ "$status" -eq 124 ] || [ "$status" -eq 130 ]; then
  echo "contract: schemathesis did not finish within ${time_limit} s" >&2
fi
[ "$status" -eq 0 ] && echo "contract: passed" >&2 || echo "contract: FAILED (exit $status)" >&2
exit "$status"
