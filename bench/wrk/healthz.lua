-- The reference for resolution: the same client work per request as
-- resolve.lua (a random number and a formatted request), aimed at /healthz,
-- so that the ratio compares the server's cost and not wrk's.
local count = tonumber(os.getenv("QILIAN_BENCH_N") or "10000")

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
  local unused = "88.999/R-" .. math.random(0, count - 1)
  return wrk.format("GET", "/healthz")
end
