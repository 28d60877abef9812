-- wrk script: POST the body in $BODY with the headers the body needs.
-- BODY: a file holding the request; HEADER_LENGTH: its JSON header's length for binary requests.
local f = assert(io.open(os.getenv("BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*all")
f:close()
wrk.headers["Content-Type"] = "application/octet-stream"
local header = os.getenv("HEADER_LENGTH")
if header and header ~= "" then wrk.headers["Inference-Header-Content-Length"] = header end

done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
