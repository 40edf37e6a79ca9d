-- wrk script for benches/load.rs. Settings come from the environment:
--   BENCH_METHOD, BENCH_HEADERS ("Name: value" lines) and BENCH_BODY: the request (default: a plain GET);
--   BENCH_POOL and BENCH_THREADS: a file of values, one per line, that replace {value} in the body and
--     headers, each sent once (the lines are dealt out to the threads); a thread that runs out starts its
--     share over and counts the restarts;
--   BENCH_STATUSES=1: count the responses per status code (wrk then reads every response).
-- done() prints one JSON line for benches/load.rs.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

wrk.method = os.getenv("BENCH_METHOD") or "GET"
wrk.body = os.getenv("BENCH_BODY")
for line in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^\n]+") do
  local name, value = string.match(line, "^([^:]+):%s*(.*)$")
  wrk.headers[name] = value
end

statuses = {}
restarts = 0

if os.getenv("BENCH_POOL") then
  local pool, cursor = {}, 0

  function init(args)
    local n, index = tonumber(os.getenv("BENCH_THREADS")), 0
    for line in io.lines(os.getenv("BENCH_POOL")) do
      if index % n == id then table.insert(pool, line) end
      index = index + 1
    end
    assert(#pool > 0, "BENCH_POOL has no line for thread " .. id)
  end

  function request()
    cursor = cursor + 1
    if cursor > #pool then
      cursor = 1
      restarts = restarts + 1
    end
    local value = pool[cursor]
    local headers = {}
    for name, v in pairs(wrk.headers) do headers[name] = string.gsub(v, "{value}", value) end
    local body = wrk.body and string.gsub(wrk.body, "{value}", value)
    return wrk.format(nil, nil, headers, body)
  end
end

if os.getenv("BENCH_STATUSES") == "1" then
  function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local total_restarts, counts = 0, {}
  for _, thread in ipairs(threads) do
    total_restarts = total_restarts + (thread:get("restarts") or 0)
    for code, n in pairs(thread:get("statuses") or {}) do counts[code] = (counts[code] or 0) + n end
  end
  local parts = {}
  for code, n in pairs(counts) do table.insert(parts, string.format('"%d":%d', code, n)) end
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,"non_2xx_3xx":%d,' ..
    '"pool_restarts":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.timeout, e.status, total_restarts, table.concat(parts, ",")))
end
