-- Durable creates: every request PUTs a new identifier with three values.
-- Each wrk thread names its identifiers <run>-<thread>-<n>, so no two
-- requests collide and every one must answer 201. Writes need
-- authentication (issue 5): QILIAN_BENCH_AUTH holds the Authorization header
-- value (bench/rest-bench sets it to the first administrator's Basic
-- credential); without it the requests go out anonymous and get 401.
local counter = 1
local threads = {}
local run = os.getenv("QILIAN_BENCH_RUN") or tostring(os.time())
local auth = os.getenv("QILIAN_BENCH_AUTH")

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  n = 0
  -- wrk.format fills in Host and Content-Length on the table it is given;
  -- one table per thread, reused for every request.
  headers = {["Content-Type"] = "application/json"}
  if auth and auth ~= "" then headers["Authorization"] = auth end
end

local body_fmt = '{"values":[' ..
  '{"index":1,"type":"URL","data":{"format":"string","value":"https://example.org/%s"}},' ..
  '{"index":2,"type":"EMAIL","data":{"format":"string","value":"ops@example.org"}},' ..
  '{"index":3,"type":"X-BATCH","data":{"format":"string","value":"batch-2026-11"}}]}'

function request()
  n = n + 1
  local name = string.format("C-%s-%d-%d", run, tid, n)
  return wrk.format("PUT", "/api/handles/88.999/" .. name, headers,
                    string.format(body_fmt, name))
end

local non201 = 0
function response(status, headers, body)
  if status ~= 201 then non201 = non201 + 1 end
end

function done(summary, latency, requests)
  io.write(string.format("non-2xx/3xx responses: %d\n", summary.errors.status))
end
