-- Creates identifiers 88.999/<prefix>0 .. <prefix>(N-1), three short values
-- each, as fast as the server takes them. Each wrk thread owns the ids
-- congruent to its number modulo the thread count and ticks each one off
-- when a reply names it. wrk can drop a request (a connection closed under
-- it, or a reply it does not pass to response()), so once a thread has sent
-- its share it sends cheap GET /healthz fillers, and after 2000 of those
-- have come back (every earlier request has long been answered or lost) it
-- sends the ids still unconfirmed again. wrk itself only stops after -d or
-- on SIGINT: bench/handle-bench watches qiliand's metrics and interrupts it
-- once all are created. Env: QILIAN_BENCH_N (count), QILIAN_BENCH_PREFIX
-- (default "B-"), QILIAN_BENCH_THREADS (must equal wrk -t),
-- QILIAN_BENCH_AUTH (the Authorization header value; writes need one since
-- issue 5, bench/handle-bench passes the first administrator's).
local threads = {}
local total = tonumber(os.getenv("QILIAN_BENCH_N") or "200000")
local nthreads = tonumber(os.getenv("QILIAN_BENCH_THREADS") or "2")
local prefix = os.getenv("QILIAN_BENCH_PREFIX") or "B-"
local auth = os.getenv("QILIAN_BENCH_AUTH")
local pattern = '"handle":"88%.999/' .. prefix:gsub("%W", "%%%0") .. '(%d+)"'

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  queue = {}
  pending = {}
  share = 0
  for i = tid, total - 1, nthreads do
    share = share + 1
    queue[share] = i
    pending[i] = true
  end
  pos = 1
  created = 0
  failed = 0
  resent = 0
  fillers = 0
  headers = {["Content-Type"] = "application/json"}
  if auth and auth ~= "" then headers["Authorization"] = auth end
end

local body_fmt = '{"values":[' ..
  '{"index":1,"type":"URL","data":{"format":"string","value":"https://example.org/%d"}},' ..
  '{"index":2,"type":"EMAIL","data":{"format":"string","value":"ops@example.org"}},' ..
  '{"index":3,"type":"X-BATCH","data":{"format":"string","value":"batch-2026-11"}}]}'

function request()
  if pos > #queue then
    return wrk.format("GET", "/healthz")
  end
  local i = queue[pos]
  pos = pos + 1
  return wrk.format("PUT", "/api/handles/88.999/" .. prefix .. i, headers,
                    string.format(body_fmt, i))
end

function response(status, headers, body)
  local id = tonumber(string.match(body, pattern) or "")
  if id ~= nil and pending[id] then
    pending[id] = nil
    if status == 201 or status == 200 then created = created + 1 else failed = failed + 1 end
  elseif pos > #queue then
    fillers = fillers + 1
    if fillers >= 2000 then
      fillers = 0
      queue = {}
      for i, _ in pairs(pending) do table.insert(queue, i) end
      pos = 1
      resent = resent + #queue
    end
  end
end

function done(summary, latency, requests)
  local c, f, r = 0, 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created")
    f = f + t:get("failed")
    r = r + t:get("resent")
  end
  io.write(string.format("created %d identifiers, %d failed, %d sent again\n", c, f, r))
end
