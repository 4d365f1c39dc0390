-- Random resolutions over identifiers 88.999/R-0 .. R-(N-1), N from the
-- environment (QILIAN_BENCH_N), loaded beforehand by bench/rest-bench.
local count = tonumber(os.getenv("QILIAN_BENCH_N") or "10000")

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
  return wrk.format("GET", "/api/handles/88.999/R-" .. math.random(0, count - 1))
end
