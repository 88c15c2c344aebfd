-- Template "t" of the dispatch benchmark: subscribed to MESSAGE_CREATE, keeps a little state and returns a
-- small table (the small template of bench/vm/vm_bench.cpp). nginx/handler.lua runs the same handler.
local seen = 0
return function(event, ctx)
  seen = seen + 1
  return { ok = true, id = event.data.id, seen = seen }
end
