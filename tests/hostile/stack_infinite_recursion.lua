-- expect: runtime_error
-- message: stack overflow
-- memory: 128000000
-- timeout-ms: 10000
-- Lua's own stack limit (1M slots) ends it; with a smaller memory cap, the cap does (memory_limit).
return function()
  local function f() return 1 + f() end
  return f()
end
