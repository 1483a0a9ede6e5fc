-- wrk script for bench/run.sh: POSTs one prepared multipart/form-data body
-- (read once, at start) on every request.
--
-- Environment:
--   BENCH_BODY      path of the body file (the whole multipart body)
--   BENCH_BOUNDARY  its boundary
--
-- wrk.format() adds Content-Length and Host.  done() prints one line that
-- bench/run.sh parses: requests, duration, non-2xx/3xx count, socket errors.

local path = os.getenv("BENCH_BODY")
local boundary = os.getenv("BENCH_BOUNDARY")

local f = assert(io.open(path, "rb"))
wrk.body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "BENCH requests=%d duration_us=%d bytes=%d status_errors=%d "
        .. "connect=%d read=%d write=%d timeout=%d p50_us=%d p99_us=%d\n",
        summary.requests, summary.duration, summary.bytes, e.status,
        e.connect, e.read, e.write, e.timeout,
        latency:percentile(50), latency:percentile(99)))
end
