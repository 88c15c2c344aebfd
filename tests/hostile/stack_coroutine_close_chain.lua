-- expect: ok
-- coroutine.close inside __close inside coroutine.close...: bounded nesting, no C stack overflow.
return function()
  local depth = 0
  local function make(n)
    return coroutine.create(function()
      local x <close> = setmetatable({}, {__close = function()
        depth = depth + 1
        if n > 0 then coroutine.close(make(n - 1)) end
      end})
      coroutine.yield()
    end)
  end
  local co = make(100000)
  coroutine.resume(co)
  local ok, err = coroutine.close(co)
  return depth < 100000
end
