#!/usr/bin/env bash
# Installs every Debian 12 package that synod's build, tests, benchmarks and
# demo need. Idempotent: packages already present are left alone, and apt is
# only touched when something is missing. Nothing is fetched by other routes.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  clang libclang-rt-14-dev clang-format clang-tidy
  # libraries
  libboost-dev libboost-system-dev
  protobuf-compiler libprotobuf-dev
  libsodium-dev liblz4-dev libzstd-dev libsnappy-dev zlib1g-dev
  libsqlite3-dev libpqxx-dev libpq-dev libhiredis-dev
  libspdlog-dev libfmt-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libopencv-dev libonnx-dev
  # servers the tests and benchmarks start on loopback
  postgresql redis-server etcd-server etcd-client
  # tools the tests and demo use
  curl iproute2 procps python3 sqlite3
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Servers are installed for the tests to start on their own ports; do not let
# the packages start system-wide instances (policy-rc.d 101 = action forbidden).
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod +x "$policy"
  created_policy=1
fi
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
if [ "$created_policy" -eq 1 ]; then $SUDO rm -f "$policy"; fi
echo "install-deps: done"
