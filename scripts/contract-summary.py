"""The figures of a contract run (scripts/contract-test.sh): operations covered, requests
sent, failures by check, from schemathesis's JSON report. Exits 1 when an operation of the
document went untested or anything failed.

    python3 scripts/contract-summary.py REPORT_DIR OPERATIONS_IN_DOCUMENT
"""
import json
import pathlib
import sys

report_dir, in_document = pathlib.Path(sys.argv[1]), int(sys.argv[2])
reports = sorted(report_dir.glob("*.json"))
if not reports:
    print(f"contract: no JSON report in {report_dir}: schemathesis did not finish", file=sys.stderr)
    sys.exit(1)
report = json.loads(reports[-1].read_text())
ops = report.get("operations") or {}
cases = report.get("test_cases") or {}
failures = report.get("failures") or []
errors = report.get("errors") or []

print(f"contract: operations: {in_document} in the document, {ops.get('total', 0)} read by schemathesis, "
      f"{ops.get('tested', 0)} tested, {ops.get('errored', 0)} errored, {ops.get('skipped', 0)} skipped")
if ops.get("skip_reasons"):
    print(f"contract: skipped because: {ops['skip_reasons']}")
print(f"contract: requests: {cases.get('generated', 0)} test cases generated and sent, "
      f"{cases.get('with_failures', 0)} with failures ({cases.get('unique_failures', 0)} unique), "
      f"{cases.get('errored', 0)} errored; phases: "
      + ", ".join(f"{name} {phase['status']}" for name, phase in (report.get("phases") or {}).items()))
by_check = {}
for group in failures:
    key = group.get("type") or group.get("title")
    by_check[key] = by_check.get(key, 0) + group.get("count", 0)
print("contract: failures by check: " + (", ".join(f"{k} {v}" for k, v in sorted(by_check.items())) or "none"))
for group in failures:
    print(f"  - {group.get('title')} ×{group.get('count')}: {', '.join(group.get('operations') or [])}")
for error in errors:
    print(f"  - error: {error.get('title')} ×{error.get('count')}")

ok = (ops.get("tested", 0) == in_document == ops.get("total", 0) and not ops.get("errored") and not ops.get("skipped")
      and not failures and not errors and report.get("complete"))
sys.exit(0 if ok else 1)
