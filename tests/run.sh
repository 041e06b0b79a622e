#!/usr/bin/env bash
# Runs every Keyward test: installs what is missing, builds the Release
# executables (build/bin), runs the unit tests under AddressSanitizer and
# UndefinedBehaviorSanitizer (build-asan/), runs each libFuzzer target for a
# bounded time (build-fuzz/), then the end-to-end tests against the Release
# executables with real clients and a real redis-server. Exits 0 only when
# everything passed. The unit tests run only in the sanitizer build: a second
# Release run would double CI time and find nothing the sanitizers miss.
#
# Environment: FUZZ_SECONDS (per target, default 15), SKIP_ASAN=1, SKIP_FUZZ=1,
# ONLY=<glob> to run only matching integration tests.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jobs="$(nproc)"
fuzz_seconds="${FUZZ_SECONDS:-15}"
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

step "build (Release)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null &&
  cmake --build build -j "$jobs" --target keyward keyward-responder keyward-issuer \
    keyward-poller keyward-bench
rc=$?
record "build-release" $rc
if [ $rc -ne 0 ]; then echo "0 passed, 1 failed"; exit 1; fi

if [ "${SKIP_ASAN:-0}" != 1 ]; then
  step "unit tests (ASan + UBSan)"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKEYWARD_SANITIZE=ON >/dev/null &&
    cmake --build build-asan -j "$jobs" &&
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 300
  record "unit-asan-ubsan" $?
fi

if [ "${SKIP_FUZZ:-0}" != 1 ]; then
  step "fuzz targets (${fuzz_seconds}s each)"
  if [ -x tests/fuzz/run_fuzzers.sh ]; then
    tests/fuzz/run_fuzzers.sh "$root/build-fuzz" "$fuzz_seconds"
    record "fuzz" $?
  else
    record "fuzz (tests/fuzz/run_fuzzers.sh missing)" 1
  fi
fi

step "end-to-end tests"
export KEYWARD_BIN="$root/build/bin"
for t in tests/integration/*_test.sh; do
  [ -e "$t" ] || continue
  name="$(basename "$t" .sh)"
  if [ -n "${ONLY:-}" ] && [[ "$name" != $ONLY ]]; then continue; fi
  echo "---- $name"
  timeout --kill-after=10 300 bash "$t"
  record "$name" $?
done

step "summary"
for f in "${failures[@]}"; do echo "failed: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
