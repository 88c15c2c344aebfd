#!/usr/bin/env bash
# Installs what is needed, builds, and runs the example template on a sample Discord MESSAGE_CREATE event.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh build -DTW_BUILD_TESTS=OFF -DTW_BUILD_BENCH=OFF
exec ./build/src/cli/template-worker run examples/hello --event-file bench/fixtures/message_create.json "$@"
