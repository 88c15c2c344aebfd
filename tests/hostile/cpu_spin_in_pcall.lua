-- expect: timeout
-- pcall cannot hold the kill: it fires again at the next instruction.
return function()
  while true do pcall(function() while true do end end) end
end
