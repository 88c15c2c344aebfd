-- A small moderation-style template: counts messages per author and flags raid-like mentions.
local seen = {}  -- locals persist across events while the guild's VM lives

local handlers = {}

function handlers.MESSAGE_CREATE(event, ctx)
  local msg = event.data
  local author = msg.author and msg.author.id or "unknown"
  seen[author] = (seen[author] or 0) + 1
  local words = 0
  for _ in string.gmatch(msg.content or "", "%S+") do words = words + 1 end
  return {
    template = ctx.template,
    guild = ctx.guild_id,
    author = author,
    messages_from_author = seen[author],
    words = words,
    lockdown_requested = (msg.content or ""):find("!lockdown", 1, true) ~= nil,
  }
end

function handlers.Test(event, ctx)
  task.wait(0.01)
  return { hello = "world", event = event.name }
end

return handlers
