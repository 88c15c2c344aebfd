-- The task library: Roblox semantics on the guild VM's scheduler.
local check = require("check")

return function()
  return check.run {
    {"wait returns the elapsed time", function()
      local dt = task.wait(0.02)
      check.truthy(dt >= 0.02, "waited at least 20 ms, got " .. dt)
      check.eq(type(task.wait()), "number")
    end},
    {"spawn runs at once, defer runs later", function()
      local order = {}
      task.defer(function() order[#order + 1] = "deferred" end)
      task.spawn(function() order[#order + 1] = "spawned" end)
      order[#order + 1] = "caller"
      check.eq(table.concat(order, ","), "spawned,caller")
      task.wait()
      check.eq(table.concat(order, ","), "spawned,caller,deferred")
    end},
    {"spawn passes arguments and returns the thread", function()
      local got
      local th = task.spawn(function(a, b) got = a .. b end, "x", "y")
      check.eq(type(th), "thread"); check.eq(got, "xy")
    end},
    {"a spawned thread that waits continues on its own", function()
      local steps = {}
      task.spawn(function()
        steps[#steps + 1] = 1
        task.wait(0.01)
        steps[#steps + 1] = 3
      end)
      steps[#steps + 1] = 2
      check.eq(#steps, 2)
      task.wait(0.05)
      check.eq(table.concat(steps, ","), "1,2,3")
    end},
    {"delay and cancel", function()
      local ran, cancelled = false, false
      task.delay(0.01, function(v) ran = v end, "yes")
      local th = task.delay(0.01, function() cancelled = true end)
      task.cancel(th)
      task.wait(0.05)
      check.eq(ran, "yes"); check.eq(cancelled, false)
    end},
    {"task.wait inside coroutine.wrap: the resume returns at once", function()
      local after = false
      local co = coroutine.wrap(function() task.wait(0.01); after = true end)
      co()
      check.eq(after, false)
      task.wait(0.05)
      check.eq(after, true)
    end},
    {"a sort comparator may wait", function()
      local t = {3, 1, 2}
      table.sort(t, function(a, b) task.wait() return a < b end)
      check.eq(table.concat(t, ","), "1,2,3")
    end},
    {"a waiting thread cannot be resumed by hand", function()
      local th = task.spawn(function() task.wait(1) end)
      check.fails(function() assert(coroutine.resume(th)) end, "waiting in the task scheduler")
      task.cancel(th)
    end},
    {"task.wait cannot be used where yields are impossible", function()
      local t = setmetatable({}, {__tostring = function() task.wait(0.01) return "x" end})
      check.fails(function() return tostring(t) end, "yield")
    end},
  }
end
