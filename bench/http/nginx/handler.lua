-- The peer of our dispatch path on nginx + Debian's Lua module (LuaJIT, lua-cjson): the same work per event
-- as `POST /v1/guilds/{guild}/events` with bench/http/templates/trivial.lua as guild template "t".
--
-- Per request: read the body, decode it with cjson, check its shape like ours (an object with exactly "name",
-- a string of [A-Z0-9_]{1,64}, and "data"), run the guild's trivial handler (per-guild state kept in this
-- worker process, like a guild VM's upvalue) in a pcall when the event is MESSAGE_CREATE, and answer
-- {"results":[{"template":"t","ok":true,"value":{...}}]} with a Content-Length, as ours does (ngx.print
-- alone would answer chunked).
local cjson = require("cjson.safe")

local M = {}

-- guild id (string) -> events seen; the `seen` upvalue of each guild's template.
local seen = {}

local function handler(guild, event)
  local n = (seen[guild] or 0) + 1
  seen[guild] = n
  return { ok = true, id = event.data.id, seen = n }
end

local function send(status, body)
  ngx.status = status
  ngx.header["Content-Type"] = "application/json"
  ngx.header["Content-Length"] = #body
  ngx.print(body)
end

local function fail(status, kind, message)
  send(status, cjson.encode({ error = { kind = kind, message = message } }))
end

function M.events(guild)
  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  if not body then return fail(400, "bad_input", "empty body") end
  local event, err = cjson.decode(body)
  if type(event) ~= "table" then return fail(400, "bad_input", "malformed JSON: " .. tostring(err)) end
  local name = event.name
  if type(name) ~= "string" or event.data == nil then
    return fail(400, "bad_input", "the body needs \"name\" (a string) and \"data\"")
  end
  if #name > 64 or not name:find("^[A-Z0-9_]+$") then
    return fail(400, "bad_input", "event name must match [A-Z0-9_]{1,64}")
  end
  for key in pairs(event) do
    if key ~= "name" and key ~= "data" then return fail(400, "bad_input", "event: unknown key") end
  end
  local results = {}
  if name == "MESSAGE_CREATE" then
    local ok, value = pcall(handler, guild, event)
    if ok then
      results[1] = { template = "t", ok = true, value = value }
    else
      results[1] = { template = "t", ok = false, error = { kind = "runtime_error", message = tostring(value) } }
    end
  end
  -- An empty Lua table encodes as {} in cjson; the API's shape is [].
  send(200, #results == 0 and '{"results":[]}' or cjson.encode({ results = results }))
end

return M
