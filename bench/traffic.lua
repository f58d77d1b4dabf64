-- wrk script for bench/traffic.py: walk the paths listed in $WRK_PATHS in order, each
-- thread from its own share of the list (so no two requests of a run ask for one URL when
-- the list is long enough), and count the page cache's answers (the X-Cache header:
-- hit, miss, or snapshot — a pre-rendered proposal page, portal.snapshots).

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for line in io.lines(os.getenv("WRK_PATHS")) do
    if #line > 0 then
      paths[#paths + 1] = line
    end
  end
  -- wrk does not tell a thread how many threads run; bench/traffic.py runs two (-t2).
  index = (id * math.floor(#paths / 2)) % #paths
  hits, misses, snapshots, errors = 0, 0, 0, 0
end

function request()
  index = index % #paths + 1
  return wrk.format(nil, paths[index])
end

function response(status, headers, body)
  local cache = headers["X-Cache"] or headers["x-cache"]
  if cache == "hit" then
    hits = hits + 1
  elseif cache == "miss" then
    misses = misses + 1
  elseif cache == "snapshot" then
    snapshots = snapshots + 1
  end
  if status >= 400 then
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local h, m, s, e = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    h = h + thread:get("hits")
    m = m + thread:get("misses")
    s = s + thread:get("snapshots")
    e = e + thread:get("errors")
  end
  io.write(string.format("XCACHE hits=%d misses=%d snapshots=%d errors=%d\n", h, m, s, e))
end
