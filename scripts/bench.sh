#!/usr/bin/env bash
# Builds the benchmarks (Release) and runs the guild VM's figures: vm_bench (creation, dispatch, limit
# overhead, fairness), each beside its baseline, then its idle-RSS mode. bench/README.md explains the figures.
#
# Usage: scripts/bench.sh [--quick] [--repetitions N] [--count N] [--out DIR] [--filter REGEX]
#   --quick          3 repetitions and 20 000 idle VMs instead of 5 and 100 000
#   --repetitions N  repetitions of each benchmark (the summary quotes their median). Default: 5
#   --count N        idle VMs (and bare states) for the RSS figure. Default: 100000 (needs ~5 GB and ~1 min)
#   --out DIR        where the JSON results and the printed figures go. Default: build-bench/results
#   --filter REGEX   only the vm_bench benchmarks matching REGEX (e.g. 'Create|Dispatch'); skips idle RSS
# Environment: TW_BENCH_BUILD_DIR (default build-bench).
set -euo pipefail
cd "$(dirname "$0")/.."

dir="${TW_BENCH_BUILD_DIR:-build-bench}"
reps=5
count=100000
out=""
filter=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) reps=3; count=20000 ;;
    --repetitions) reps="${2:?}"; shift ;;
    --count) count="${2:?}"; shift ;;
    --out) out="${2:?}"; shift ;;
    --filter) filter="${2:?}"; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
out="${out:-$dir/results}"

./scripts/install-deps.sh
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTW_BUILD_TESTS=OFF -DTW_BUILD_BENCH=ON >/dev/null
cmake --build "$dir" --target vm_bench json_bench stdlib_bench storage_bench luau_bench
mkdir -p "$out"
export TW_SOURCE_DIR="$PWD"

echo "== vm_bench: $reps repetitions, interleaved at random (machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
args=(
  --benchmark_repetitions="$reps"
  --benchmark_enable_random_interleaving=true
  --benchmark_display_aggregates_only=true
  --benchmark_out="$out/vm_bench.json" --benchmark_out_format=json
)
if [ -n "$filter" ]; then args+=(--benchmark_filter="$filter"); fi
"$dir/bench/vm_bench" "${args[@]}" | tee "$out/vm_bench.txt"

if [ -z "$filter" ]; then
  echo
  echo "== vm_bench --idle-rss --count=$count"
  "$dir/bench/vm_bench" --idle-rss --count="$count" | tee "$out/idle_rss.txt"
fi
echo
echo "results: $out/"
