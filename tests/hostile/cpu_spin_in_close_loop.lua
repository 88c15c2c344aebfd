-- expect: timeout
-- Every __close spins and catches: the kill still gets out.
return function()
  for _ = 1, 1e9 do
    pcall(function()
      local a <close> = setmetatable({}, {__close = function() while true do pcall(error) end end})
    end)
  end
end
