#!/usr/bin/env bash
# Installs what is needed, builds, and runs the whole test suite.
# Usage: scripts/test.sh                      normal build (build/)
#        scripts/test.sh --sanitize address   ASan+UBSan build (build-asan/)
#        scripts/test.sh --sanitize thread    TSan build of the threaded tests (build-tsan/)
set -euo pipefail
cd "$(dirname "$0")/.."
sanitize=""
if [ "${1:-}" = "--sanitize" ]; then sanitize="${2:?address or thread}"; fi
./scripts/install-deps.sh
case "$sanitize" in
  "") dir=build ;;
  address) dir=build-asan ;;
  thread) dir=build-tsan ;;
  *) echo "unknown sanitizer: $sanitize" >&2; exit 2 ;;
esac
args=(--test-dir "$dir" --output-on-failure -j "$(nproc)" --timeout 600)
if [ "$sanitize" = "thread" ]; then
  # TSan covers the suites labelled `threads` (workers, strategies, storage, metrics, HTTP): build only those.
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTW_SANITIZE=thread -DTW_BUILD_BENCH=OFF >/dev/null
  cmake --build "$dir" -j "$(nproc)" --target service_test storage_test storage_durability_writer metrics_test api_integration_test
  args+=(-L threads)
else
  ./scripts/build.sh "$dir" -DTW_SANITIZE="$sanitize" -DTW_BUILD_BENCH="$([ -z "$sanitize" ] && echo ON || echo OFF)"
fi
ctest "${args[@]}"
