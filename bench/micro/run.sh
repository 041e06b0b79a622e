#!/usr/bin/env bash
# bench/micro/run.sh: run keyward-microbench pinned to one core. The binary
# itself runs `openssl speed -seconds 2 ecdsap256 rsa2048` afterwards and
# prints live signing beside it. Extra arguments go to Google Benchmark
# (e.g. --benchmark_filter=SignLive --benchmark_format=json).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${KEYWARD_BENCH_BUILD:-$root/build-bench-rel}
bin=$build/bin/keyward-microbench
if [[ ! -x $bin ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKEYWARD_TESTS=OFF >/dev/null
  ninja -C "$build" -j2 keyward-microbench
fi
core=${BENCH_CLIENT_CORE:-1}
exec taskset -c "$core" "$bin" --benchmark_color=false "$@"
