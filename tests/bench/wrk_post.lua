-- wrk script: sends WRK_METHOD with the JSON body in WRK_BODY and prints one JSON result line.
-- With WRK_BODIES_FILE (one JSON body per line) each request takes the next body of that file in
-- turn, so a server cannot answer every request from one remembered result.
wrk.method = os.getenv("WRK_METHOD") or "GET"
local body = os.getenv("WRK_BODY")
local bodies_file = os.getenv("WRK_BODIES_FILE")
local bodies = {}
if wrk.method == "POST" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
if bodies_file and bodies_file ~= "" then
  for line in io.lines(bodies_file) do
    if line ~= "" then
      bodies[#bodies + 1] = line
    end
  end
end

local counter = 0
function request()
  if #bodies == 0 then
    return wrk.request()
  end
  counter = counter + 1
  return wrk.format(nil, nil, nil, bodies[(counter % #bodies) + 1])
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    'RESULT {"requests": %d, "rps": %.1f, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, "errors": %d, "non_2xx": %d}\n',
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, errors, summary.errors.status))
end
