# bench/processes.sh: process bookkeeping shared by the bench scripts
# (sourced, not run). Every background process a script starts goes into the
# array `pids`; on exit, Ctrl-C or the watchdog, each is stopped by PID
# (TERM, then KILL after 5 s) in reverse order and the work directory is
# removed (kept with BENCH_KEEP=1). The caller defines `log`, `work` and
# `time_limit` before calling bench_guard.

# stop_pid PID: TERM, up to 5 s for it to go, then KILL; reaps it.
stop_pid() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

bench_cleanup() {
  local rc=$? i
  trap - EXIT INT TERM
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do stop_pid "${pids[i]}"; done
  [[ -n ${watchdog:-} ]] && stop_pid "$watchdog"
  if [[ -n ${BENCH_KEEP:-} ]]; then log "kept $work"; else rm -rf "$work"; fi
  exit "$rc"
}

# bench_guard: install the traps and the watchdog, which ends the script if
# it ever overstays time_limit seconds. Every step is bounded on its own;
# this is a backstop.
bench_guard() {
  trap bench_cleanup EXIT
  trap 'log "interrupted"; exit 130' INT TERM
  (sleep "$time_limit" && kill -TERM $$) 2>/dev/null &
  watchdog=$!
}
