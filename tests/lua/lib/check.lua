-- A tiny assertion library for the conformance tests. Each test file is a template whose handler runs
-- check.run{...} and returns "ok"; the first failing check raises with the test's name.
local check = {}

local function show(v)
  if type(v) == "string" then return string.format("%q", v) end
  return tostring(v)
end

function check.eq(actual, expected, what)
  if actual ~= expected then
    error(string.format("%s: expected %s, got %s", what or "value", show(expected), show(actual)), 2)
  end
end

function check.truthy(v, what)
  if not v then error((what or "condition") .. " does not hold", 2) end
end

-- fn must raise; the message must contain `pattern` (a Lua pattern) when given. Returns the error.
function check.fails(fn, pattern, what)
  local ok, err = pcall(fn)
  if ok then error((what or "call") .. " should have raised an error", 2) end
  if pattern and not string.find(tostring(err), pattern) then
    error(string.format("%s: error %s does not match %s", what or "call", show(tostring(err)), show(pattern)), 2)
  end
  return err
end

function check.run(tests)
  for _, t in ipairs(tests) do
    local ok, err = pcall(t[2])
    if not ok then error(t[1] .. ": " .. tostring(err), 0) end
  end
  return "ok"
end

return check
