#!/usr/bin/env bash
# PUTs one template (a single init.lua) to guilds FIRST..FIRST+COUNT-1 through bench/http/each-guild.sh.
#
# Usage: bench/http/put-templates.sh BASE_URL COUNT NAME LUA_FILE EVENT [FIRST]
#   e.g. bench/http/put-templates.sh http://127.0.0.1:8080 10000 t bench/http/templates/trivial.lua MESSAGE_CREATE
set -euo pipefail
base="${1:?BASE_URL}" count="${2:?COUNT}" name="${3:?NAME}" file="${4:?LUA_FILE}" event="${5:?EVENT}"
first="${6:-1}"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# The body: the Lua file as a JSON string (escape \, ", tab, and end every line with \n).
lua="$(sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/\t/\\t/g' "$file" | awk '{printf "%s\\n", $0}')"
printf '{"files":{"init.lua":"%s"},"events":["%s"]}' "$lua" "$event" >"$tmp/body.json"
"$(dirname "$0")/each-guild.sh" PUT "$base" "/templates/$name" "$count" "$tmp/body.json" "$first"
