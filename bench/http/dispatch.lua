-- wrk load script: POST /v1/guilds/{guild}/events with the ~1.9 KB MESSAGE_CREATE fixture, the guild chosen
-- round-robin over GUILDS guilds per request (each wrk thread starts at its own offset).
--
--   wrk -t2 -c64 -d20s --latency -s bench/http/dispatch.lua http://127.0.0.1:PORT -- FIXTURE GUILDS [FIRST [SUFFIX]]
--
--   FIXTURE  the event body (bench/fixtures/message_create.json)
--   GUILDS   how many guilds: guildId(FIRST) .. guildId(FIRST+GUILDS-1) (put-templates.sh PUTs the same ids)
--   FIRST    the first guild's number. Default: 1
--   SUFFIX   appended to the path, e.g. "?wait=false". Default: none
--
-- Every request is prebuilt once per thread (GUILDS requests of ~2 KB each), so wrk spends no time on string
-- building while it measures. done() prints one machine-readable line:
--   RESULT requests=N duration_s=S rps=R p50_ms=.. p90_ms=.. p99_ms=.. max_ms=.. errors=E non2xx=?
-- (wrk prints "Non-2xx or 3xx responses" itself; scripts/bench-http.sh checks it.)

-- The guild id of guild i (1-based): a 19-digit decimal snowflake. Kept in step with bench/http/each-guild.sh and scripts/bench-http.sh.
local function guildId(i)
  return string.format("1090011223%09d", i)
end

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("offset", counter - 1)
  table.insert(threads, thread)
end

local requests
local n = 0
local guilds = 1

function init(args)
  local fixture = assert(args[1], "usage: -- FIXTURE GUILDS [FIRST [SUFFIX]]")
  guilds = tonumber(args[2] or "1")
  local first = tonumber(args[3] or "1")
  local suffix = args[4] or ""
  local f = assert(io.open(fixture, "rb"))
  local body = f:read("*a")
  f:close()
  local headers = { ["Content-Type"] = "application/json" }
  requests = {}
  for i = 1, guilds do
    requests[i] = wrk.format("POST", "/v1/guilds/" .. guildId(first + i - 1) .. "/events" .. suffix, headers, body)
  end
  -- Threads start at different guilds so that, with one guild per request, they do not walk in lockstep.
  n = ((offset or 0) * 7919) % guilds
end

function request()
  n = n + 1
  if n > guilds then n = 1 end
  return requests[n]
end

function done(summary, latency, requests_)
  local s = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f " ..
    "errors=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, s, summary.requests / s,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.connect + e.read + e.write + e.status + e.timeout,
    e.connect, e.read, e.write, e.status, e.timeout))
end
