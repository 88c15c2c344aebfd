-- The sandbox: what a template can see and change.
local check = require("check")

local loadedAtInit = load("return 1 + 1")()

return function(event, ctx)
  return check.run {
    {"dangerous libraries are absent", function()
      check.eq(io, nil, "io"); check.eq(debug, nil, "debug"); check.eq(package, nil, "package")
      check.eq(dofile, nil, "dofile"); check.eq(loadfile, nil, "loadfile"); check.eq(warn, nil, "warn")
      check.eq(os.execute, nil, "os.execute"); check.eq(os.exit, nil, "os.exit")
      check.eq(os.getenv, nil, "os.getenv"); check.eq(os.remove, nil, "os.remove")
      check.eq(os.rename, nil, "os.rename"); check.eq(os.tmpname, nil, "os.tmpname")
      check.eq(string.dump, nil, "string.dump")
    end},
    {"the safe standard library is there", function()
      check.truthy(os.time() > 1600000000, "os.time")
      check.eq(type(os.clock()), "number"); check.eq(#os.date("%Y"), 4)
      check.eq(math.floor(3.7), 3); check.eq(utf8.char(233), "é"); check.eq(select("#", 1, 2), 2)
      check.eq(table.concat({1, 2, 3}, ","), "1,2,3"); check.eq(("%d"):format(5), "5")
      check.eq(tostring(nil), "nil"); check.eq(tonumber("0x10"), 16); check.eq(_VERSION, "Lua 5.4")
      check.eq(loadedAtInit, 2)
    end},
    {"_G is the template's own table", function()
      check.eq(_G._G, _G)
      my_global = 5
      check.eq(_G.my_global, 5); check.eq(rawget(_G, "my_global"), 5)
      check.eq(rawget(_G, "string"), nil, "libraries are not in the template's table")
      check.truthy(string ~= nil)
      check.eq(getmetatable(_G), "The metatable is locked")
      check.fails(function() setmetatable(_G, {}) end, "protected metatable")
      _G.string = "shadowed"  -- shadowing a library only changes this template's view
      check.eq(string, "shadowed")
      _G.string = nil
      check.eq(type(string), "table")
    end},
    {"libraries and plugins are read-only", function()
      check.fails(function() string.upper = nil end, "readonly")
      check.fails(function() table.extra = 1 end, "readonly")
      check.fails(function() rawset(math, "pi", 3) end, "readonly")
      check.fails(function() setmetatable(os, {}) end)
      check.fails(function() task.wait = print end, "readonly")
      check.fails(function() json.null = 1 end, "readonly")
      check.fails(function() table.insert(coroutine, print) end, "readonly")
      check.eq(getmetatable(string), "The metatable is locked")
      check.eq(math.pi > 3.14, true)
      local n = 0
      for name, fn in pairs(string) do
        n = n + 1
        check.eq(type(fn), "function", name)
      end
      check.truthy(n >= 15, "pairs() lists a library's functions")
      check.eq(rawequal(next, next), true)
    end},
    {"the string metatable is locked", function()
      check.eq(getmetatable(""), "The metatable is locked")
      check.eq(("abc"):upper(), "ABC")
      check.fails(function() getmetatable("").__index = {} end)
    end},
    {"load takes text only and binds the template's environment", function()
      sandbox_visible = 7
      local f = assert(load("return io, sandbox_visible"))
      local a, b = f()
      check.eq(a, nil); check.eq(b, 7)
      check.fails(function() load(function() return nil end) end, "only source text")
      check.fails(function() load("return 1", "x", "b") end, "binary")
      local g, err = load("\27Lua\84\0")
      check.eq(g, nil); check.truthy(tostring(err):find("binary"), "a binary chunk is refused: " .. tostring(err))
      local env = {y = 1}
      check.eq(load("return y", "chunk", "t", env)(), 1)
      local bad, msg = load("return +")
      check.eq(bad, nil); check.truthy(msg:find("unexpected symbol"), msg)
    end},
    {"finalizers are refused", function()
      check.fails(function() setmetatable({}, {__gc = function() end}) end, "__gc")
      -- adding __gc later does not register a finalizer (Lua checks at setmetatable time)
      local mt = {}
      setmetatable({}, mt)
      mt.__gc = function() error("never runs") end
    end},
    {"xpcall calls the message handler and passes arguments", function()
      local ok, err = xpcall(error, function(e) return "handled: " .. e end, "x", 0)
      check.eq(ok, false); check.eq(err, "handled: x")
      local ok2, sum = xpcall(function(a, b) return a + b end, print, 1, 2)
      check.eq(ok2, true); check.eq(sum, 3)
      check.fails(function() xpcall(print) end, "bad argument #2")
    end},
    {"collectgarbage only counts", function()
      check.eq(type(collectgarbage("count")), "number")
      check.fails(function() collectgarbage("stop") end, "only")
      check.fails(function() collectgarbage() end, "only")
    end},
    {"print goes to the log", function()
      print("hello from the sandbox test", 1, nil, true, {})
    end},
    {"ctx and event", function()
      check.eq(ctx.template, "sandbox"); check.eq(ctx.guild_id, "1090011223344556600"); check.eq(ctx.event, "Test")
      check.eq(ctx.nothing, nil)
      check.eq(getmetatable(ctx), "The metatable is locked")
      check.eq(event.name, "Test"); check.eq(event.data.n, 42); check.eq(event.data.list[3], 3)
      check.eq(event.data.none, json.null)
    end},
    {"__concat metamethods work, even when the stack grows inside them", function()
      local mt = {}
      local t = setmetatable({}, mt)
      mt.__concat = function(a, b)
        local function grow(n) if n > 0 then return 1 + grow(n - 1) end return 0 end
        grow(20000)
        return "r"
      end
      for _ = 1, 5 do check.eq("a" .. t .. "b" .. "c", "ar") end
    end},
  }
end
