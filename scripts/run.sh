#!/usr/bin/env bash
# Installs what is needed, builds, and runs the service on its embedded default storage (SQLite in ./data),
# listening on 127.0.0.1:8080 until Ctrl-C or SIGTERM. Extra arguments go to `template-worker serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh build-run -DTW_BUILD_TESTS=OFF -DTW_BUILD_BENCH=OFF
exec ./build-run/src/cli/template-worker serve "$@"
