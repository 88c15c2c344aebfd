#!/usr/bin/env bash
# Installs the Debian 12 packages template-worker needs to build, test and benchmark.
# Idempotent: skips apt-get when every package is already installed.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ninja-build
  liblua5.4-dev lua5.4
  libboost1.81-dev libboost-json1.81-dev
  libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  libsqlite3-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "installing: ${missing[*]}" >&2
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
