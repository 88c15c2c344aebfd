#!/usr/bin/env bash
# The HTTP figures of template-worker, end to end: installs what it needs (wrk, nginx with Debian's Lua module,
# lua-cjson), builds a Release server, starts everything on loopback (ephemeral ports, a temp dir), measures,
# stops everything and prints a summary table. bench/http/README.md explains each figure.
#
#   dispatch  POST /v1/guilds/{g}/events with bench/fixtures/message_create.json, round-robin over 1 and over
#             10 000 guilds (each with the trivial template bench/http/templates/trivial.lua), against nginx +
#             Lua running the same handler (bench/http/nginx/); PAIRS alternating runs, medians, ratio per pair
#   fairness  guild B's latency (trivial handler) while guild A spins on the same worker (--workers 1)
#   kill      response time minus execution_timeout_ms (200) for handlers spinning plainly, inside pcall, and
#             inside nested coroutines
#
# Usage: scripts/bench-http.sh [options]
#   --quick              3 pairs of 8 s, 30 kill runs per variant (default: 5 pairs of 15 s, 100 runs)
#   --pairs N            alternating runs of ours and nginx per guild count. Default: 5
#   --duration S         seconds per wrk run. Default: 15
#   --wrk "ARGS"         wrk threads and connections. Default: "-t2 -c64"
#   --workers N          our Lua workers = nginx worker processes. Default: 1
#   --http-threads N     our HTTP I/O threads. Default: 1
#   --server-cpus LIST   taskset CPU list for the servers. Default: 0 (with 2+ CPUs; else unpinned)
#   --client-cpus LIST   taskset CPU list for wrk and curl. Default: 1 (with 2+ CPUs; else unpinned)
#   --fair-server-cpus LIST  taskset CPU list of our server in the fairness and kill figures. Default: all
#                        (unpinned: a spinning guild keeps its worker thread busy, and the figure is about
#                        the worker's time slicing, not about the HTTP thread waiting for a shared CPU)
#   --nice N             run the servers, wrk and curl under `nice -n N` (e.g. -10 as root, to keep other
#                        work on a shared machine from dominating the latencies). Default: none
#   --guilds "N..."      guild counts of the dispatch figure. Default: "1 10000"
#   --kill-runs N        requests per kill-latency variant. Default: 100
#   --only LIST          comma-separated subset of dispatch,fairness,kill. Default: all
#   --out DIR            where raw outputs and the summary go. Default: build-bench-http/results
#   --no-build           use the existing build
#   --bin PATH           the template-worker binary to measure (implies --no-build), e.g. another build's
# Environment: TW_BENCH_HTTP_BUILD_DIR (default build-bench-http).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

dir="${TW_BENCH_HTTP_BUILD_DIR:-build-bench-http}"
pairs=5
duration=15
wrk_args="-t2 -c64"
workers=1
http_threads=1
guild_counts="1 10000"
kill_runs=100
only="dispatch,fairness,kill"
out=""
build=1
bin=""
bin_given=0
if [ "$(nproc)" -ge 2 ]; then server_cpus=0; client_cpus=1; else server_cpus=""; client_cpus=""; fi
fair_server_cpus=""
nice_level=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) pairs=3; duration=8; kill_runs=30 ;;
    --pairs) pairs="${2:?}"; shift ;;
    --duration) duration="${2:?}"; shift ;;
    --wrk) wrk_args="${2:?}"; shift ;;
    --workers) workers="${2:?}"; shift ;;
    --http-threads) http_threads="${2:?}"; shift ;;
    --server-cpus) server_cpus="${2}"; shift ;;
    --client-cpus) client_cpus="${2}"; shift ;;
    --fair-server-cpus) fair_server_cpus="${2}"; shift ;;
    --nice) nice_level="${2:?}"; shift ;;
    --guilds) guild_counts="${2:?}"; shift ;;
    --kill-runs) kill_runs="${2:?}"; shift ;;
    --only) only="${2:?}"; shift ;;
    --out) out="${2:?}"; shift ;;
    --no-build) build=0 ;;
    --bin) bin="${2:?}"; build=0; bin_given=1; shift ;;
    -h|--help) sed -n '2,35p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
out="${out:-$dir/results}"
wants() { [[ ",$only," == *",$1,"* ]]; }

# ---------------------------------------------------------------------------------------------- install, build
install_packages() {
  ./scripts/install-deps.sh
  local packages=(wrk nginx libnginx-mod-http-lua lua-cjson curl util-linux iproute2) missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "installing: ${missing[*]}" >&2
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}
install_packages
if [ "$build" = 1 ]; then
  # Only the server: the tests (TW_BUILD_TESTS keeps its default or cached value) build on request, e.g.
  # cmake --build build-bench-http --target api_test api_integration_test.
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTW_BUILD_BENCH=OFF >/dev/null
  cmake --build "$dir" --target template-worker -j "$(nproc)"
fi
bin="${bin:-$root/$dir/src/cli/template-worker}"
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
[ -x "$bin" ] || { echo "no server binary at $bin (build first)" >&2; exit 1; }
fixture="$root/bench/fixtures/message_create.json"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

# ------------------------------------------------------------------------------------- processes and cleanup
tmp="$(mktemp -d /tmp/tw-bench-http.XXXXXX)"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  pids=()
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Pinning prefixes (taskset execs the command, so $! of a background start is the server itself).
niceness=()
if [ -n "$nice_level" ]; then niceness=(nice -n "$nice_level"); fi
server_pin=("${niceness[@]+"${niceness[@]}"}"); client_pin=("${niceness[@]+"${niceness[@]}"}")
if [ -n "$server_cpus" ]; then server_pin+=(taskset -c "$server_cpus"); fi
if [ -n "$client_cpus" ]; then client_pin+=(taskset -c "$client_cpus"); fi
dispatch_pin=("${server_pin[@]+"${server_pin[@]}"}")
fair_pin=("${niceness[@]+"${niceness[@]}"}")
if [ -n "$fair_server_cpus" ]; then fair_pin+=(taskset -c "$fair_server_cpus"); fi
client() { "${client_pin[@]+"${client_pin[@]}"}" "$@"; }

clk_tck="$(getconf CLK_TCK)"
# cpu_seconds PID: user+system CPU of the process (all its threads) and of its children (nginx's workers).
cpu_seconds() {
  local p ticks=0 t
  for p in "$1" $(ps -o pid= --ppid "$1"); do
    t="$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)"
    ticks=$((ticks + t))
  done
  awk -v t="$ticks" -v hz="$clk_tck" 'BEGIN {printf "%.2f\n", t / hz}'
}

stop_pid() {  # SIGTERM, then SIGKILL after 10 s
  local p="$1" i
  kill -TERM "$p" 2>/dev/null || true
  for i in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
  local kept=()
  for i in "${pids[@]}"; do [ "$i" = "$p" ] || kept+=("$i"); done
  pids=("${kept[@]+"${kept[@]}"}")
}

free_port() {  # a loopback TCP port nobody listens on
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    if [ -z "$(ss -Htln "sport = :$p")" ]; then echo "$p"; return; fi
  done
}

# start_ours NAME CONFIG_TOML: starts `serve` on an ephemeral port (pinned by the array ours_pin); sets
# ours_pid, ours_url.
start_ours() {
  local name="$1" config="$2" d="$tmp/$1"
  mkdir -p "$d/data"
  printf '%s\n' "$config" >"$d/config.toml"
  "${ours_pin[@]+"${ours_pin[@]}"}" "$bin" serve --config "$d/config.toml" --listen 127.0.0.1:0 --data-dir "$d/data" \
    >"$d/server.out" 2>"$d/server.log" &
  ours_pid=$!
  pids+=("$ours_pid")
  local port="" i
  for i in $(seq 300); do
    port="$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$d/server.log" | head -1)"
    [ -n "$port" ] && break
    kill -0 "$ours_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$port" ]; then echo "template-worker did not start:" >&2; cat "$d/server.log" >&2; exit 1; fi
  ours_url="http://127.0.0.1:$port"
}

# start_nginx: nginx + Lua with $workers worker processes on a free port; sets nginx_pid, nginx_url.
start_nginx() {
  local d="$tmp/nginx" port user=""
  mkdir -p "$d"
  port="$(free_port)"
  if [ "$(id -u)" -eq 0 ]; then user="user root root;"; fi
  sed -e "s|@WORKERS@|$workers|; s|@PORT@|$port|; s|@PREFIX@|$d|g; s|@HANDLER_DIR@|$root/bench/http/nginx|;" \
    -e "s|@USER@|$user|" "$root/bench/http/nginx/nginx.conf.in" >"$d/nginx.conf"
  "${server_pin[@]+"${server_pin[@]}"}" nginx -p "$d" -e "$d/error.log" -c "$d/nginx.conf" -g 'daemon off;' >"$d/stdout" 2>"$d/stderr" &
  nginx_pid=$!
  pids+=("$nginx_pid")
  nginx_url="http://127.0.0.1:$port"
  local i
  for i in $(seq 100); do
    curl -fs "$nginx_url/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$nginx_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "nginx did not start:" >&2; cat "$d/stderr" "$d/error.log" >&2 2>/dev/null; exit 1
}

guild_id() { printf '1090011223%09d' "$1"; }

# post_event URL GUILD_NUMBER BODY [QUERY]: prints the response body.
post_event() {
  curl -fsS -X POST -H 'Content-Type: application/json' "$1/v1/guilds/$(guild_id "$2")/events${4:-}" \
    --data-binary "$3"
}

# run_wrk SERVER_PID URL GUILDS FIRST DURATION LOGFILE [WRK ARGS]: one wrk run; prints its RESULT line plus
# the server's CPU seconds over the run (cpu_s) and requests per server CPU second (rpcs).
run_wrk() {
  local pid="$1" url="$2" guilds="$3" first="$4" secs="$5" log="$6"; shift 6
  local c0 c1 w0 w1
  c0="$(cpu_seconds "$pid")"
  w0="$(date +%s.%N)"
  client wrk "$@" -d"${secs}s" --latency -s "$root/bench/http/dispatch.lua" "$url" -- "$fixture" "$guilds" \
    "$first" >"$log" 2>&1
  w1="$(date +%s.%N)"
  c1="$(cpu_seconds "$pid")"
  if grep -q 'Non-2xx' "$log"; then echo "wrk saw non-2xx answers ($log):" >&2; cat "$log" >&2; exit 1; fi
  local line
  line="$(grep '^RESULT ' "$log")" || { echo "wrk failed ($log):" >&2; cat "$log" >&2; exit 1; }
  case "$line" in *" errors=0 "*) ;; *) echo "   warning: wrk counted socket errors ($log): $line" >&2 ;; esac
  # cpu_s covers the whole wrk process (its start-up included), wall_s too: util = cpu_s / wall_s.
  awk -v l="$line" -v c0="$c0" -v c1="$c1" -v w0="$w0" -v w1="$w1" -v load="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
    split(l, f, " "); for (i in f) { split(f[i], kv, "="); if (kv[1] == "requests") n = kv[2] }
    c = c1 - c0; w = w1 - w0
    printf "%s cpu_s=%.2f rpcs=%.0f wall_s=%.2f util=%.2f load=%s\n", l, c, (c > 0 ? n / c : 0), w,
      (w > 0 ? c / w : 0), load }'
}

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }  # field NAME < RESULT lines
median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
# percentile P < numbers (nearest rank)
percentile() { sort -g | awk -v p="$1" '{a[NR]=$1} END {if (NR == 0) {print "nan"; exit} i=int((p/100)*NR+0.999999); if (i<1) i=1; if (i>NR) i=NR; print a[i]}'; }

summary="$out/summary.txt"
: >"$summary"
say() { echo "$*" | tee -a "$summary"; }

say "== template-worker HTTP figures, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), load $(cut -d' ' -f1-3 /proc/loadavg)"
say "   servers on CPUs '${server_cpus:-any}' (fairness, kill: '${fair_server_cpus:-any}'), wrk/curl on CPUs '${client_cpus:-any}'${nice_level:+, nice $nice_level}; ours: workers $workers, http_threads $http_threads; nginx: worker_processes $workers"
say "   commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), binary $bin; raw outputs in $out/"
# Others may be editing the tree: a build here compiles their uncommitted changes too. Keep the evidence.
if [ "$bin_given" = 0 ] && dirty="$(git status --porcelain -- src CMakeLists.txt cmake 2>/dev/null)" && [ -n "$dirty" ]; then
  git diff -- src CMakeLists.txt cmake >"$out/uncommitted-src.diff" 2>/dev/null || true
  say "   uncommitted changes under src/ at start (binary built $(date -u -r "$bin" +%H:%MZ)): $(echo "$dirty" | wc -l) file(s), diff in $out/uncommitted-src.diff"
fi

# -------------------------------------------------------------------------------------------------- dispatch
# pair_ratios RESULTS FIELD: ours/nginx of FIELD for each pair, one a line.
pair_ratios() {
  local i
  for i in $(seq "$pairs"); do
    paste <(grep "^ours pair=$i " "$1" | field "$2") <(grep "^nginx pair=$i " "$1" | field "$2") |
      awk '{ if ($2 > 0) printf "%.3f\n", $1 / $2 }'
  done
}

dispatch_rows=()
run_dispatch() {
  local guilds="$1" name="dispatch-$1"
  local res="$out/$name.results"
  : >"$res"
  ours_pin=("${dispatch_pin[@]+"${dispatch_pin[@]}"}")
  start_ours "$name" "[server]
http_threads = $http_threads
drain_timeout_ms = 1000
[runtime]
workers = $workers
[storage]
durability = \"process-crash\"
[log]
level = \"info\""
  local t0=$SECONDS
  bench/http/put-templates.sh "$ours_url" "$guilds" t bench/http/templates/trivial.lua MESSAGE_CREATE
  echo "   ours: $guilds template(s) PUT in $((SECONDS - t0)) s" >&2
  start_nginx
  # The same answer shape from both (values differ only in "seen" and in key order).
  local a b body
  a="$(post_event "$ours_url" 1 "@$fixture")"
  b="$(post_event "$nginx_url" 1 "@$fixture")"
  echo "   ours:  $a" >&2
  echo "   nginx: $b" >&2
  for body in "$a" "$b"; do
    case "$body" in '{"results":[{'*'"template":"t"'*) ;; *) echo "unexpected answer: $body" >&2; exit 1 ;; esac
    case "$body" in *'"value":{'*'"ok":true'*'"ok":true'*|*'"ok":true'*'"value":{'*'"ok":true'*) ;;
      *) echo "unexpected answer: $body" >&2; exit 1 ;; esac
  done
  # Warm-up: one event to every guild (ours creates every VM now, not while measuring), then a short run.
  t0=$SECONDS
  bench/http/each-guild.sh POST "$ours_url" /events "$guilds" "$fixture"
  bench/http/each-guild.sh POST "$nginx_url" /events "$guilds" "$fixture"
  echo "   one event to each guild of both in $((SECONDS - t0)) s" >&2
  run_wrk "$ours_pid" "$ours_url" "$guilds" 1 3 "$tmp/warm-ours.log" $wrk_args >/dev/null
  run_wrk "$nginx_pid" "$nginx_url" "$guilds" 1 3 "$tmp/warm-nginx.log" $wrk_args >/dev/null
  local i s first second
  for i in $(seq "$pairs"); do
    # Alternate which server goes first, so a drift of the machine's speed hits both alike.
    if [ $((i % 2)) -eq 1 ]; then first=ours; second=nginx; else first=nginx; second=ours; fi
    for s in $first $second; do
      local url pid line
      if [ "$s" = ours ]; then url="$ours_url" pid="$ours_pid"; else url="$nginx_url" pid="$nginx_pid"; fi
      line="$(run_wrk "$pid" "$url" "$guilds" 1 "$duration" "$out/$name-$s-$i.txt" $wrk_args)"
      echo "$s pair=$i $line" >>"$res"
      printf '   %-5s pair %d: %s\n' "$s" "$i" "$(echo "$line" | cut -d' ' -f4,5,7,8,9,15-19)" >&2
    done
  done
  stop_pid "$ours_pid"
  stop_pid "$nginx_pid"
  local rps_ratios rpcs_ratios
  rps_ratios="$(pair_ratios "$res" rps)"
  rpcs_ratios="$(pair_ratios "$res" rpcs)"
  for s in ours nginx; do
    local r1="" r2=""
    if [ "$s" = ours ]; then r1="$(echo "$rps_ratios" | median)"; r2="$(echo "$rpcs_ratios" | median)"; fi
    dispatch_rows+=("$(printf '%-7s %-6s %9.0f %8s %8s %9.0f %5s %12s %15s' "$guilds" "$s" \
      "$(grep "^$s " "$res" | field rps | median)" \
      "$(grep "^$s " "$res" | field p50_ms | median)" "$(grep "^$s " "$res" | field p99_ms | median)" \
      "$(grep "^$s " "$res" | field rpcs | median)" "$(grep "^$s " "$res" | field util | median)" "$r1" "$r2")")
  done
  dispatch_rows+=("        per pair, ours/nginx req/s: $(echo "$rps_ratios" | tr '\n' ' ')")
  dispatch_rows+=("        per pair, ours/nginx req/CPU-s: $(echo "$rpcs_ratios" | tr '\n' ' ')")
  dispatch_rows+=("        load average (1 min) at the end of each run: $(field load <"$res" | tr '\n' ' ')")
}

if wants dispatch; then
  for g in $guild_counts; do
    echo "== dispatch, $g guild(s): wrk $wrk_args -d${duration}s --latency, $pairs pairs" >&2
    run_dispatch "$g"
  done
  say ""
  say "dispatch: wrk $wrk_args -d${duration}s --latency -s bench/http/dispatch.lua; $pairs alternating pairs; medians."
  say "req/CPU-s = requests / the server's own CPU seconds (user+sys) over the run; util = those CPU seconds /"
  say "the run's wall time (1.00 = a whole CPU). Ratios: median of the per-pair ratios ours/nginx (must >= 1.0,"
  say "goal 1.2)."
  say "guilds  server     req/s  p50(ms)  p99(ms) req/CPU-s  util  ratio:req/s ratio:req/CPU-s"
  for r in "${dispatch_rows[@]}"; do say "$r"; done
fi

# -------------------------------------------------------------------------------------------------- fairness
fair_conns="-t1 -c4"
fair_secs=$(( duration < 10 ? duration : 10 ))
if wants fairness; then
  echo "== fairness: guild B (trivial) while guild A spins, one worker" >&2
  ours_pin=("${fair_pin[@]+"${fair_pin[@]}"}")
  start_ours fairness "[server]
http_threads = $http_threads
drain_timeout_ms = 200
[runtime]
workers = 1
execution_timeout_ms = 600000
[log]
level = \"info\""
  printf 'return function(event) while true do end end\n' >"$tmp/spin.lua"
  bench/http/put-templates.sh "$ours_url" 1 spin "$tmp/spin.lua" SPIN 1
  bench/http/put-templates.sh "$ours_url" 1 t bench/http/templates/trivial.lua MESSAGE_CREATE 2
  post_event "$ours_url" 2 "@$fixture" >/dev/null  # B's VM exists
  post_event "$ours_url" 1 '{"name":"NOOP","data":{}}' >/dev/null  # A's VM exists
  fair_rows=()
  fair_run() {  # fair_run LABEL: wrk against guild B only; A's state is set by the caller
    local line
    line="$(run_wrk "$ours_pid" "$ours_url" 1 2 "$fair_secs" "$out/fairness-$1.txt" $fair_conns)"
    echo "$1 $line" >>"$out/fairness.results"
    local tasks
    tasks="$(curl -fsS "$ours_url/v1/guilds/$(guild_id 1)/vm" | sed -n 's/.*"tasks":\([0-9]*\).*/\1/p')"
    fair_rows+=("$(printf '%-26s %10s %8s %8s %8s %8s  %s' "$1" "$(echo "$line" | field rps | cut -d. -f1)" \
      "$(echo "$line" | field p50_ms)" "$(echo "$line" | field p99_ms)" "$(echo "$line" | field max_ms)" \
      "${tasks:-?}" "")")
  }
  : >"$out/fairness.results"
  fair_run "A idle"
  post_event "$ours_url" 1 '{"name":"SPIN","data":{}}' '?wait=false' >/dev/null
  sleep 0.5
  fair_run "A spinning (1 event)"
  for _ in 1 2 3; do post_event "$ours_url" 1 '{"name":"SPIN","data":{}}' '?wait=false' >/dev/null; done
  sleep 0.5
  fair_run "A spinning (4 events)"
  stop_pid "$ours_pid"
  say ""
  say "fairness: guild B's events (wrk $fair_conns -d${fair_secs}s --latency, trivial handler) while guild A runs"
  say "'while true do end' on the same worker (--workers 1); goal: p99 <= 10 ms"
  say "A's state                       req/s  p50(ms)  p99(ms)  max(ms)  A tasks after"
  for r in "${fair_rows[@]}"; do say "$r"; done
fi

# ------------------------------------------------------------------------------------------------------ kill
if wants kill; then
  echo "== kill latency: execution_timeout_ms = 200, $kill_runs runs per variant" >&2
  ours_pin=("${fair_pin[@]+"${fair_pin[@]}"}")
  start_ours kill "[server]
http_threads = $http_threads
drain_timeout_ms = 1000
[runtime]
workers = 1
execution_timeout_ms = 200
[log]
level = \"info\""
  printf 'return function(event) while true do end end\n' >"$tmp/k-plain.lua"
  printf 'return function(event)\n  while true do pcall(function() while true do end end) end\nend\n' >"$tmp/k-pcall.lua"
  cat >"$tmp/k-coroutines.lua" <<'LUA'
return function(event)
  local function spin() while true do end end
  local inner = coroutine.wrap(function() coroutine.wrap(function() pcall(spin) end)() end)
  coroutine.wrap(function() pcall(inner) end)()
end
LUA
  bench/http/put-templates.sh "$ours_url" 1 plain "$tmp/k-plain.lua" KILL_PLAIN 3
  bench/http/put-templates.sh "$ours_url" 1 pcall "$tmp/k-pcall.lua" KILL_PCALL 3
  bench/http/put-templates.sh "$ours_url" 1 coroutines "$tmp/k-coroutines.lua" KILL_COROUTINES 3
  bench/http/put-templates.sh "$ours_url" 1 t bench/http/templates/trivial.lua MESSAGE_CREATE 3
  kill_rows=()
  for v in trivial plain pcall coroutines; do
    if [ "$v" = trivial ]; then ev=MESSAGE_CREATE; deadline=0; body="@$fixture"
    else ev="KILL_$(echo "$v" | tr a-z A-Z)"; deadline=0.200; body="{\"name\":\"$ev\",\"data\":{}}"; fi
    url="$ours_url/v1/guilds/$(guild_id 3)/events"
    post_event "$ours_url" 3 "$body" >"$tmp/kill-answer"  # warm-up, and the answer's shape
    if [ "$v" != trivial ] && ! grep -q '"kind":"timeout"' "$tmp/kill-answer"; then
      echo "kill $v: expected a timeout result, got: $(cat "$tmp/kill-answer")" >&2; exit 1
    fi
    # One curl, $kill_runs sequential requests on one keep-alive connection; per request curl's time_total
    # (connection set-up only in the first). Not time_total - time_pretransfer: under load curl sometimes
    # stamps pretransfer milliseconds late, which gave answers "before" the deadline.
    if [ "$v" = trivial ]; then cp "$fixture" "$tmp/kill-body"; else printf '%s' "$body" >"$tmp/kill-body"; fi
    : >"$tmp/kill.cfg"
    for i in $(seq "$kill_runs"); do
      if [ "$i" -gt 1 ]; then echo next >>"$tmp/kill.cfg"; fi
      printf 'url = "%s"\nrequest = "POST"\ndata-binary = "@%s"\nheader = "Content-Type: application/json"\n' \
        "$url" "$tmp/kill-body" >>"$tmp/kill.cfg"
      printf 'output = "/dev/null"\nwrite-out = "%%{http_code} %%{time_pretransfer} %%{time_total}\\n"\n' >>"$tmp/kill.cfg"
    done
    client curl -sS -K "$tmp/kill.cfg" >"$out/kill-$v.raw"
    if [ "$(grep -c '^200 ' "$out/kill-$v.raw")" != "$kill_runs" ]; then
      echo "kill $v: not every answer was a 200 ($out/kill-$v.raw)" >&2; exit 1
    fi
    awk -v d="$deadline" '{printf "%.3f\n", ($3 - d) * 1000}' "$out/kill-$v.raw" >"$out/kill-$v.ms"
    kill_rows+=("$(printf '%-12s %8s %8s %8s %8s' "$v" "$(percentile 50 <"$out/kill-$v.ms")" \
      "$(percentile 99 <"$out/kill-$v.ms")" "$(sort -g "$out/kill-$v.ms" | tail -1)" \
      "$(sort -g "$out/kill-$v.ms" | head -1)")")
  done
  stop_pid "$ours_pid"
  say ""
  say "kill latency: response time - 200 ms (execution_timeout_ms); response time = curl's time_total,"
  say "$kill_runs sequential requests on one keep-alive connection per handler. 'trivial' is the whole response"
  say "time of a trivial event (the HTTP floor, included in the others); goal: p99 <= 5 ms"
  say "handler        p50(ms)  p99(ms)  max(ms)  min(ms)"
  for r in "${kill_rows[@]}"; do say "$r"; done
fi

say ""
say "summary: $summary"
