-- wrk 4 script of tests/bench/bench_api.py: sets one fixed request and prints the
-- run's figures as one JSON line. It defines no request() or response() function, so
-- wrk builds the request once and runs no Lua per request, as it does without a script.
-- Environment:
--   BENCH_METHOD     request method (GET)
--   BENCH_BODY_FILE  file whose bytes are the request body (none)
--   BENCH_HEADERS    extra header lines "Name: value", separated by newlines (none)

wrk.method = os.getenv("BENCH_METHOD") or "GET"

local body_file = os.getenv("BENCH_BODY_FILE") or ""
if body_file ~= "" then
    local file = assert(io.open(body_file, "rb"))
    wrk.body = file:read("*a")
    file:close()
end

for name, value in (os.getenv("BENCH_HEADERS") or ""):gmatch("([^:\n]+):[ \t]*([^\n]*)") do
    wrk.headers[name] = value
end

-- Latencies are in microseconds; status_errors counts responses with a status >= 400.
function done(summary, latency, requests)
    io.write(string.format(
        "BENCH_RESULT {\"requests\":%d,\"duration_us\":%d,\"bytes\":%d," ..
        "\"connect_errors\":%d,\"read_errors\":%d,\"write_errors\":%d," ..
        "\"status_errors\":%d,\"timeouts\":%d,\"p50_us\":%d,\"p99_us\":%d," ..
        "\"mean_us\":%.1f,\"max_us\":%d}\n",
        summary.requests, summary.duration, summary.bytes,
        summary.errors.connect, summary.errors.read, summary.errors.write,
        summary.errors.status, summary.errors.timeout,
        latency:percentile(50), latency:percentile(99), latency.mean, latency.max))
end
