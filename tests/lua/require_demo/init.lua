-- require: other files of the same template, cached, with cycles detected.
local check = require("check")
local util = require("util")
local helpers = require("lib.helpers")

return function()
  return check.run {
    {"modules load once and are cached", function()
      check.eq(util.double(21), 42)
      check.eq(require("util"), util)
      check.eq(util.loads, 1)
      check.eq(helpers.greet("x"), "hello x")
      check.eq(require("lib/helpers.lua"), require("lib/helpers.lua"))
    end},
    {"a module that returns nothing is true", function()
      check.eq(require("empty"), true)
    end},
    {"missing modules and cycles are clear errors", function()
      check.fails(function() require("nope") end, "module 'nope' not found")
      check.fails(function() require("cycle_a") end, "cycle")
      check.fails(function() require("os") end, "not found")
    end},
    {"modules share the template's globals", function()
      check.eq(shared_from_util, "set by util")
    end},
  }
end
