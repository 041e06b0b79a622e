#!/usr/bin/env bash
# Installs, with apt-get, whichever Debian 12 packages Keyward needs that are
# missing. Usage: deploy/install-deps.sh [runtime|build|test]  (default build)
# runtime: what the daemons need to run; build: + compilers and libraries;
# test: + the real clients and servers the tests drive.
set -euo pipefail

profile="${1:-build}"

runtime=(openssl redis-server redis-tools libuv1 libhiredis0.14 libcurl4 curl ca-certificates)
build=(build-essential cmake ninja-build ccache pkg-config git libssl-dev libuv1-dev node-llhttp
  libxxhash-dev libhiredis-dev libtomlplusplus-dev libcli11-dev libcurl4-openssl-dev
  nlohmann-json3-dev libspdlog-dev libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev)
test=(clang libclang-rt-14-dev gnutls-bin scep certmonger freeradius eapoltest xxd
  iproute2 procps clang-format python3)

want=("${runtime[@]}")
case "$profile" in
  runtime) ;;
  build) want+=("${build[@]}") ;;
  test) want+=("${build[@]}" "${test[@]}") ;;
  *) echo "usage: $0 [runtime|build|test]" >&2; exit 2 ;;
esac

missing=()
for pkg in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing packages: ${missing[*]}; run as root or install them with apt-get" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Package scripts must not start system services (redis, freeradius) that
# would hold the ports the stack and the tests use.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  created_policy=1
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if [ "$created_policy" -eq 1 ]; then rm -f "$policy"; fi
