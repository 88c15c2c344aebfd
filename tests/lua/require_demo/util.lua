local M = {loads = 0}
M.loads = M.loads + 1
shared_from_util = "set by util"
function M.double(x) return x * 2 end
return M
