#!/usr/bin/env bash
# Sends one request to each of guilds FIRST..FIRST+COUNT-1 (ids as in bench/http/dispatch.lua: 1090011223 then
# the guild number in 9 digits), 32 in flight, and fails unless every answer is a 200.
#
# Usage: bench/http/each-guild.sh METHOD BASE_URL PATH COUNT BODY_FILE [FIRST]
#   PATH follows the guild id, e.g. /templates/t or /events
#   e.g. bench/http/each-guild.sh POST http://127.0.0.1:8080 /events 10000 bench/fixtures/message_create.json
set -euo pipefail
method="${1:?METHOD}" base="${2:?BASE_URL}" path="${3:?PATH}" count="${4:?COUNT}" body="${5:?BODY_FILE}"
first="${6:-1}"
body="$(cd "$(dirname "$body")" && pwd)/$(basename "$body")"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
{
  for ((i = first; i < first + count; i++)); do
    if [ "$i" -gt "$first" ]; then echo next; fi
    printf 'url = "%s/v1/guilds/1090011223%09d%s"\n' "$base" "$i" "$path"
    printf 'request = "%s"\ndata-binary = "@%s"\nheader = "Content-Type: application/json"\n' "$method" "$body"
    printf 'output = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n'
  done
} >"$tmp/curl.cfg"

curl -s --no-progress-meter --parallel --parallel-max 32 -K "$tmp/curl.cfg" >"$tmp/codes" 2>"$tmp/stderr" || true
ok="$(grep -c '^200$' "$tmp/codes" || true)"
if [ "$ok" != "$count" ]; then
  echo "each-guild: only $ok of $count ${method}s of $path answered 200; codes: $(sort "$tmp/codes" | uniq -c | tr '\n' ' ')" >&2
  cat "$tmp/stderr" >&2
  exit 1
fi
