-- expect: timeout
return function()
  coroutine.wrap(function() while true do end end)()
end
