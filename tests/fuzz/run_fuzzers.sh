#!/usr/bin/env bash
# run_fuzzers.sh BUILD_DIR SECONDS_PER_TARGET
# Configures BUILD_DIR for libFuzzer (clang, -DKEYWARD_FUZZ=ON), builds only the
# *_fuzz targets, and runs each fuzz binary in BUILD_DIR/bin for the given
# time on a copy of its seed corpus (tests/fuzz/corpus/<name>/; the committed
# seeds are never modified). Prints one line per target and exits non-zero if
# any target finds a crash, leak, timeout or out-of-memory.
set -uo pipefail

if [[ $# -ne 2 || ! $2 =~ ^[0-9]+$ ]]; then
  echo "usage: $0 BUILD_DIR SECONDS_PER_TARGET" >&2
  exit 2
fi
build=$(mkdir -p "$1" && cd "$1" && pwd)
seconds=$2
repo=$(cd "$(dirname "$0")/../.." && pwd)
seeds=$repo/tests/fuzz/corpus
jobs=${KEYWARD_BUILD_JOBS:-2}

CC=clang CXX=clang++ cmake -S "$repo" -B "$build" -G Ninja -DKEYWARD_FUZZ=ON -DKEYWARD_TESTS=ON \
  >"$build/fuzz-configure.log" 2>&1 || {
  echo "configure failed; see $build/fuzz-configure.log" >&2
  exit 1
}
mapfile -t targets < <(ninja -C "$build" -t targets all | sed -n 's/^\([A-Za-z0-9_]*_fuzz\): phony$/\1/p')
if [[ ${#targets[@]} -eq 0 ]]; then
  echo "no *_fuzz targets configured in $build" >&2
  exit 1
fi
ninja -C "$build" -j "$jobs" "${targets[@]}" >"$build/fuzz-build.log" 2>&1 || {
  tail -n 30 "$build/fuzz-build.log" >&2
  echo "build failed; see $build/fuzz-build.log" >&2
  exit 1
}

work=$build/fuzz-run
rm -rf "$work"
mkdir -p "$work"
status=0
shopt -s nullglob
binaries=("$build"/bin/*_fuzz)
if [[ ${#binaries[@]} -eq 0 ]]; then
  echo "no fuzz binaries in $build/bin" >&2
  exit 1
fi
for bin in "${binaries[@]}"; do
  name=$(basename "$bin")
  corpus=$work/$name/corpus
  artifacts=$work/$name/artifacts/
  mkdir -p "$corpus" "$artifacts"
  if [[ -d $seeds/$name ]]; then cp -r "$seeds/$name/." "$corpus/"; fi
  seed_count=$(ls "$corpus" | wc -l)
  log=$work/$name/log.txt
  "$bin" "$corpus" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$artifacts" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  found=("$artifacts"*)
  if [[ $rc -ne 0 || ${#found[@]} -gt 0 ]]; then
    status=1
    echo "$name: FAILED (exit $rc) after ${execs:-?} execs; artifacts: ${found[*]:-none}; log: $log"
    grep -m 3 -E 'ERROR: |SUMMARY: ' "$log" | sed 's/^/    /'
  else
    echo "$name: ok, ${execs:-?} execs in ${seconds}s (${rate:-?}/s), corpus $seed_count -> $(ls "$corpus" | wc -l)"
  fi
done
exit $status
