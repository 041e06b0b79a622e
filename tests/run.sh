#!/usr/bin/env bash
# Runs every Keyward test: installs what is missing, builds once with
# AddressSanitizer and UndefinedBehaviorSanitizer (build-asan/), runs the unit
# tests, then the end-to-end tests with real clients and a real redis-server
# against those same sanitizer-built executables (so every client flow is
# checked for memory errors too), then each libFuzzer target for a bounded
# time (build-fuzz/). Exits 0 only when everything passed.
#
# The Release build is deploy/quickstart.sh's (and the contract's
# `cmake -S . -B build -DCMAKE_BUILD_TYPE=Release`); building it here as well
# would add minutes to CI and test nothing the sanitizer build does not.
#
# Environment: FUZZ_SECONDS (per target, default 15), SKIP_FUZZ=1,
# ONLY=<glob> to run only matching end-to-end tests.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jobs="$(nproc)"
fuzz_seconds="${FUZZ_SECONDS:-15}"
# ccache (when installed) may reuse objects from another checkout of the tree.
# Paths are made relative and the build directory left out of the hash
# (debug info may then name another checkout's directory).
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
passed=0
failed=0
failures=()

step() { printf '\n==== %s ====\n' "$*"; }
record() {  # record NAME EXIT_CODE
  if [ "$2" -eq 0 ]; then
    passed=$((passed + 1)); echo "PASS $1"
  else
    failed=$((failed + 1)); failures+=("$1"); echo "FAIL $1 (exit $2)"
  fi
}

step "dependencies"
"$root/deploy/install-deps.sh" test || { echo "cannot install dependencies"; exit 1; }

step "build (Debug, ASan + UBSan)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKEYWARD_SANITIZE=ON >/dev/null &&
  cmake --build build-asan -j "$jobs"
rc=$?
record "build-asan-ubsan" $rc
if [ $rc -ne 0 ]; then echo "0 passed, 1 failed"; exit 1; fi

step "unit tests (ASan + UBSan)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 300
record "unit-asan-ubsan" $?

step "end-to-end tests"
export KEYWARD_BIN="$root/build-asan/bin"
# Daemons are stopped by signal at the end of each test; a sanitizer error
# still aborts them (and fails the test that sees it), but leak reports at
# shutdown would only add noise to their logs.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for t in tests/integration/*_test.sh; do
  [ -e "$t" ] || continue
  name="$(basename "$t" .sh)"
  if [ -n "${ONLY:-}" ] && [[ "$name" != $ONLY ]]; then continue; fi
  echo "---- $name"
  timeout --kill-after=10 300 bash "$t"
  record "$name" $?
done
unset ASAN_OPTIONS UBSAN_OPTIONS

if [ "${SKIP_FUZZ:-0}" != 1 ]; then
  step "fuzz targets (${fuzz_seconds}s each)"
  tests/fuzz/run_fuzzers.sh "$root/build-fuzz" "$fuzz_seconds"
  record "fuzz" $?
fi

step "summary"
for f in "${failures[@]}"; do echo "failed: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
