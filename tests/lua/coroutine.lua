-- The coroutine library: Lua 5.4 semantics on top of the scheduler.
local check = require("check")

return function()
  return check.run {
    {"create, resume, yield, status", function()
      local co = coroutine.create(function(a, b)
        check.eq(coroutine.status(coroutine.running()), "running")
        local c = coroutine.yield(a + b)
        local d, e = coroutine.yield(c * 2)
        return d + e, "done"
      end)
      check.eq(coroutine.status(co), "suspended")
      local ok, v = coroutine.resume(co, 1, 2); check.eq(ok, true); check.eq(v, 3)
      ok, v = coroutine.resume(co, 10); check.eq(v, 20)
      local ok2, sum, tag = coroutine.resume(co, 3, 4); check.eq(ok2, true); check.eq(sum, 7); check.eq(tag, "done")
      check.eq(coroutine.status(co), "dead")
      local ok3, err = coroutine.resume(co); check.eq(ok3, false); check.eq(err, "cannot resume dead coroutine")
    end},
    {"errors come back from resume", function()
      local co = coroutine.create(function() error("inner", 0) end)
      local ok, err = coroutine.resume(co); check.eq(ok, false); check.eq(err, "inner")
      local co2 = coroutine.create(function() error({code = 7}) end)
      local _, obj = coroutine.resume(co2); check.eq(obj.code, 7)
    end},
    {"wrap", function()
      local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end)
      check.eq(gen(), 1); check.eq(gen(), 2); check.eq(gen(), 3)
      local bad = coroutine.wrap(function() error("wrapped") end)
      check.fails(bad, "wrapped")
    end},
    {"status normal and running", function()
      local outer
      outer = coroutine.create(function()
        local inner = coroutine.create(function() return coroutine.status(outer) end)
        local _, s = coroutine.resume(inner)
        return s
      end)
      local _, s = coroutine.resume(outer); check.eq(s, "normal")
      local co, ismain = coroutine.running()
      check.eq(type(co), "thread"); check.eq(ismain, false)
      check.eq(coroutine.isyieldable(), true)
    end},
    {"close runs pending to-be-closed variables", function()
      local closed = false
      local co = coroutine.create(function()
        local x <close> = setmetatable({}, {__close = function() closed = true end})
        coroutine.yield()
      end)
      coroutine.resume(co)
      check.eq(coroutine.close(co), true); check.eq(closed, true); check.eq(coroutine.status(co), "dead")
      check.fails(function() coroutine.close(coroutine.running()) end, "cannot close a running coroutine")
    end},
    {"yield across pcall inside a coroutine", function()
      local co = coroutine.wrap(function()
        local ok, v = pcall(function() return coroutine.yield(1) + 1 end)
        return ok, v
      end)
      check.eq(co(), 1)
      local ok, v = co(41); check.eq(ok, true); check.eq(v, 42)
    end},
    {"deeply nested coroutines", function()
      local function nest(n)
        if n == 0 then return coroutine.yield("bottom") end
        local co = coroutine.wrap(nest)
        return co(n - 1)
      end
      local co = coroutine.wrap(nest)
      check.eq(co(50), "bottom")
    end},
    {"a long computation inside a coroutine is sliced transparently", function()
      local co = coroutine.wrap(function()
        local x = 0
        for i = 1, 3e6 do x = x + i % 7 end  -- several time slices: the scheduler's yields stay invisible
        coroutine.yield(x)
        return "after"
      end)
      check.truthy(co() > 0); check.eq(co(), "after")
    end},
  }
end
