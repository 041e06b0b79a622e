#!/usr/bin/env bash
# bench/flood_isolation.sh: does a flood of live-signing work slow the cached
# hit path? One keyward-responder (workers = 1, signer_threads = 1, default
# signer_queue 1024) pinned to one core (BENCH_SERVER_CORE, default 0); every
# client on the other (BENCH_CLIENT_CORE, default 1).
#
#   A  the hit path alone: `keyward-bench load` open loop at FLOOD_HIT_RATE
#      (5000/s) over FLOOD_HIT_CONNS (16) keep-alive connections, POST, known
#      cached serials, no nonce.
#   B  the same hit-path run while two more keyward-bench processes flood the
#      responder in closed loops at full speed: one sends a fresh nonce with
#      every request for known serials (signed live), the other never-issued
#      serials without a nonce (a Redis miss, a record lookup, a signature and
#      a negative-cache entry each). FLOOD_CONNS (128) connections each, so
#      the signer queue never overflows: the signer thread works flat out and
#      every flood request is signed.
#   C  as B with FLOOD_OVERLOAD_CONNS (768) connections each, more than the
#      signer queue holds: the excess is answered tryLater at once, and the
#      flood clients come straight back.
#   D  the control for C: as many flood connections, at full speed, asking
#      only for cached answers (known serials, no nonce). No live signing at
#      all: what C costs the hit path beyond D is live signing's doing.
#
# The kinds alternate (A B C D A B C D ...; FLOOD_KINDS, FLOOD_ROUNDS) to spread
# drift over all of them. bench/flood_summary.py takes the median of each
# kind and the ratios over A of hit-path p50, p99 and throughput, and counts
# the flood answers that were signed versus tryLater (from the flood clients
# and from the responder's /metrics).
#
#   bench/flood_isolation.sh [--bin DIR] [--out FILE]
#
# Environment: KEYWARD_BIN (default build-bench-rel/bin), FLOOD_DURATION (s
# measured per hit-path run after 1 s warm-up, default 5), FLOOD_ROUNDS (2),
# FLOOD_KINDS ("A B C D"), FLOOD_HIT_RATE, FLOOD_HIT_CONNS, FLOOD_CONNS,
# FLOOD_OVERLOAD_CONNS, FLOOD_COUNT (records, 20000), FLOOD_UNKNOWN
# (never-issued serials, 50000), FLOOD_NICE (nice of each process's
# scheduling group, default -10; empty: leave it), FLOOD_REDIS_CORE (default:
# the client core, so that the server core holds only the responder),
# BENCH_PORT_MIN and BENCH_PORT_MAX (ports to pick from), FLOOD_TIME_LIMIT_S
# (300), BENCH_KEEP=1 (keep the work directory).
#
# Exits non-zero only when a hit-path run had a wrong answer or an error
# (HTTP, OCSP, transport, timeout), or a setup step failed: the ratios are
# the result, with no threshold. A hit path that falls behind, even one left
# with no answer in its measured window, is a result too (its answers/s then
# counts the whole run, and "unsent" what it never got to send). Every
# process it starts is stopped by PID, also on Ctrl-C and when the time limit
# runs out.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${KEYWARD_BIN:-$root/build-bench-rel/bin}
out_json=$root/bench/out/flood-isolation.json
while (($#)); do
  case $1 in
    --bin) bin=$2; shift 2 ;;
    --out) out_json=$2; shift 2 ;;
    -h | --help) sed -n '2,48p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "flood_isolation.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
server_core=${BENCH_SERVER_CORE:-0}
client_core=${BENCH_CLIENT_CORE:-1}
redis_core=${FLOOD_REDIS_CORE:-$client_core}
dur=${FLOOD_DURATION:-5}
rounds=${FLOOD_ROUNDS:-2}
kinds=${FLOOD_KINDS:-A B C D}
hit_rate=${FLOOD_HIT_RATE:-5000}
hit_conns=${FLOOD_HIT_CONNS:-16}
overload_conns=${FLOOD_OVERLOAD_CONNS:-768}
declare -A flood_conns=([B]=${FLOOD_CONNS:-128} [C]=$overload_conns [D]=$overload_conns)
count=${FLOOD_COUNT:-20000}
unknown=${FLOOD_UNKNOWN:-50000}
port_min=${BENCH_PORT_MIN:-20000}
port_max=${BENCH_PORT_MAX:-31999}
time_limit=${FLOOD_TIME_LIMIT_S:-300}
nice=${FLOOD_NICE:--10}
# The flood starts this long before the hit-path run, so that the signer
# queue is already busy when measuring begins, and ends this long after it.
lead_s=1
tail_s=1

for b in keyward keyward-responder keyward-bench; do
  [[ -x $bin/$b ]] || { echo "flood_isolation.sh: no $bin/$b (build it, or set KEYWARD_BIN)" >&2; exit 2; }
done
for c in redis-server redis-cli taskset curl jq ss; do
  command -v "$c" >/dev/null || { echo "flood_isolation.sh: $c is not installed" >&2; exit 2; }
done

work=$(mktemp -d /tmp/keyward-flood.XXXXXX)
pids=()
started=$(date +%s)
log() { printf '[flood %4ds] %s\n' $(($(date +%s) - started)) "$*" >&2; }

# --- process bookkeeping: every background process is in pids -------------
# shellcheck source=bench/processes.sh
source "$root/bench/processes.sh"
forget() {
  local keep=() p
  for p in "${pids[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
  pids=("${keep[@]}")
}
bench_guard

# spawn LOG CORE CMD...: start CMD in the background on CORE, output to
# $work/LOG; its PID goes into pids and last_pid. Each process runs in a
# session of its own and so, with the kernel's autogroup, is a scheduling
# group of its own, whose weight FLOOD_NICE raises above the rest of a shared
# machine (other people's builds). Without it, what the hit path alone
# measures is mostly how long a compiler on the same core holds the CPU.
# Inside a group nothing changes: the responder's event loop and signer
# thread share their core by the usual rules, which is what B and C measure.
spawn() {
  local log=$1 core=$2
  shift 2
  setsid taskset -c "$core" "$@" >"$work/$log" 2>&1 &
  last_pid=$!
  pids+=("$last_pid")
  [[ -n $nice && -w /proc/$last_pid/autogroup ]] || return 0
  # Only once the child has its own session: before that, its autogroup is
  # still this script's.
  local sid
  for _ in $(seq 200); do
    sid=$(ps -o sid= -p "$last_pid" 2>/dev/null | tr -d ' ' || true)
    [[ $sid == "$last_pid" || -z $sid ]] && break
    sleep 0.005
  done
  if [[ $sid == "$last_pid" ]]; then
    echo "$nice" >"/proc/$last_pid/autogroup" 2>/dev/null || true
  fi
}

# free_port: a port in [port_min, port_max] nothing listens on, not handed
# out before by this script.
taken=" "
free_port() {
  local p
  for _ in $(seq 200); do
    p=$((port_min + (RANDOM * 32768 + RANDOM) % (port_max - port_min + 1)))
    [[ $taken == *" $p "* ]] && continue
    [[ -n $(ss -Hltn "sport = :$p" 2>/dev/null) ]] && continue
    taken+="$p "
    port=$p
    return 0
  done
  echo "flood_isolation.sh: no free port in $port_min-$port_max" >&2
  return 1
}

# --- PKI, Redis, records, responder ---------------------------------------------
free_port && redis_port=$port
free_port && resp_port=$port
url=http://127.0.0.1:$resp_port/
mkdir -p "$work/pki"
config=$work/keyward.toml
cat >"$config" <<EOF
[store]
redis = "redis://127.0.0.1:$redis_port/0"
[ocsp]
validity_s = 86400
[[ca]]
name = "flood"
cert = "$work/pki/ca.pem"
key = "$work/pki/ca.key"
ocsp_signer_cert = "$work/pki/ocsp.pem"
ocsp_signer_key = "$work/pki/ocsp.key"
[responder]
listen = ["127.0.0.1:$resp_port"]
workers = 1
signer_threads = 1
EOF
"$bin/keyward" ca init --config "$config" >"$work/ca-init.log" 2>&1 ||
  { log "keyward ca init failed: $(tail -2 "$work/ca-init.log")"; exit 1; }
ca=$work/pki/ca.pem

spawn redis.log "$redis_core" redis-server --port "$redis_port" --bind 127.0.0.1 --save "" \
  --appendonly no --dir "$work"
for _ in $(seq 100); do
  [[ $(redis-cli -p "$redis_port" ping 2>/dev/null) == PONG ]] && break
  sleep 0.1
done
[[ $(redis-cli -p "$redis_port" ping 2>/dev/null) == PONG ]] || { log "redis-server did not start"; exit 1; }

log "seeding $count records and $unknown never-issued serials"
taskset -c "$client_core" "$bin/keyward-bench" seed --config "$config" --ca flood --count "$count" \
  --revoked-fraction 0.01 --corpus "$work/corpus.txt" --unknown "$unknown" \
  >"$work/seed.json" 2>"$work/seed.log" || { log "seed failed: $(tail -2 "$work/seed.log")"; exit 1; }
# Known serials for the hit path and the nonce flood, never-issued ones for
# the unknown flood: separate files keep each client's corpus small.
grep -v '^unknown ' "$work/corpus.txt" >"$work/known.txt"
grep '^unknown ' "$work/corpus.txt" >"$work/unknown.txt"

spawn responder.log "$server_core" "$bin/keyward-responder" --config "$config"
resp_pid=$last_pid
resp_group=$(cat "/proc/$resp_pid/autogroup" 2>/dev/null || echo "no autogroup")
healthy() { [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "${url}healthz" || true) == 200 ]]; }
for _ in $(seq 300); do
  healthy && break
  kill -0 "$resp_pid" 2>/dev/null || { log "keyward-responder exited: $(tail -3 "$work/responder.log")"; exit 1; }
  sleep 0.1
done
healthy || { log "keyward-responder not ready within 30 s"; exit 1; }

# --- measuring ------------------------------------------------------------------
# metrics FILE: the responder's counters of interest, as one JSON object ({}
# when the scrape fails: during an overload it competes with the flood like
# any other connection).
metrics() {
  { curl -fsS --max-time 10 "${url}metrics" 2>/dev/null || true; } | awk '
    /^keyward_live_signatures_total / {s["live_signatures"] = $2}
    /^keyward_live_trylater_total / {s["live_trylater"] = $2}
    /^keyward_negative_cache_hits_total / {s["negative_cache_hits"] = $2}
    /^keyward_live_redis_lookups_total / {s["live_redis_lookups"] = $2}
    /^keyward_cache_hits_total / {s["cache_hits"] = $2}
    /^keyward_redis_fetches_total / {s["redis_fetches"] = $2}
    /^keyward_ocsp_requests_total\{result="[a-z]+"\} / {
      r = $1; sub(/.*result="/, "", r); sub(/".*/, "", r); s["answers_" r] = $2 }
    END { printf "{"; n = 0; for (k in s) printf "%s\"%s\": %s", (n++ ? ", " : ""), k, s[k]; print "}" }
  ' >"$1"
}
# cpu FILE PID: for each thread of PID (by its name where it has one: the
# responder's are kw-loopN and kw-signer), and in total, the seconds it ran
# and the seconds it waited, runnable, for a CPU
# (/proc/PID/task/*/schedstat). Leaves FILE alone when PID is gone.
cpu() {
  local t dir name lines=""
  for t in /proc/"$2"/task/*/schedstat; do
    dir=${t%/schedstat}
    name=$(cat "$dir/comm" 2>/dev/null || true)
    lines+="${dir##*/}:${name// /_} $(cat "$t" 2>/dev/null || true)"$'\n'
  done
  [[ -d /proc/$2 ]] || return 0
  awk 'NF >= 3 {run[$1] = $2 / 1e9; total += $2 / 1e9; wait += $3 / 1e9}
    END { printf "{\"total\": %.4f, \"wait\": %.4f, \"threads\": {", total, wait; n = 0
          for (k in run) printf "%s\"%s\": %.4f", (n++ ? ", " : ""), k, run[k]; print "}}" }' \
    <<<"$lines" >"$1.new" && mv "$1.new" "$1"
}
# cores FILE: busy seconds so far of the server and the client core
# (/proc/stat, all but idle and iowait). On a shared machine, what the server
# core did besides the responder is someone else's work.
cores() {
  awk -v s="cpu$server_core" -v c="cpu$client_core" -v tick="$(getconf CLK_TCK)" '
    $1 == s || $1 == c { busy = 0; for (i = 2; i <= NF; i++) if (i != 5 && i != 6) busy += $i
                         v[$1 == s ? "server" : "client"] = busy / tick }
    END { printf "{\"server\": %.3f, \"client\": %.3f}\n", v["server"], v["client"] }' /proc/stat >"$1"
}
# snapshot LABEL N: counters, CPU and time at the start (0) or end (1) of a run.
snapshot() {
  metrics "$work/$1.m$2"
  cpu "$work/$1.c$2" "$resp_pid"
  cores "$work/$1.k$2"
  date +%s.%N >"$work/$1.t$2"
}
# hit LABEL: the hit-path run; returns its exit code. While it runs, it
# keeps the CPU figures of the hit client and of every process in `watch`
# ("PID FILE" entries: the flood clients) up to date, since a process's are
# gone once it exits.
hit() {
  spawn "$1.txt" "$client_core" "$bin/keyward-bench" load --url "$url" --corpus "$work/known.txt" \
    --ca-cert "$ca" --rate "$hit_rate" --connections "$hit_conns" --duration "$dur" --warmup 1 \
    --label "$1" --json "$work/$1.json" --quiet
  local pid=$last_pid rc=0 w
  while kill -0 "$pid" 2>/dev/null; do
    cpu "$work/$1.cpu" "$pid"
    for w in "${watch[@]}"; do cpu "${w#* }" "${w%% *}"; done
    sleep 0.2
  done
  wait "$pid" || rc=$?
  forget "$pid"
  return "$rc"
}
flood() {  # flood LABEL CONNECTIONS SECONDS ARGS...: one flood client, in the background
  local label=$1 conns=$2 secs=$3
  shift 3
  # Not verified: tryLater is a right answer here, and the verifier would
  # count it wrong; the flood is load, not the measurement.
  spawn "$label.txt" "$client_core" "$bin/keyward-bench" load --url "$url" --ca-cert "$ca" \
    --connections "$conns" --duration "$secs" --warmup 0 --no-verify --max-error-rate 1 \
    --timeout-ms 2000 --label "$label" --json "$work/$label.json" --quiet "$@"
}

# --- the runs, alternating --------------------------------------------------------
failed=()
runs=()
for round in $(seq "$rounds"); do
  for kind in $kinds; do
    label=hit-$kind$round
    snapshot "$label" 0
    declare -A flood_pid=()
    watch=()
    secs=$((lead_s + 1 + dur + tail_s))
    case $kind in
      B | C)
        flood "flood-nonce-$kind$round" "${flood_conns[$kind]}" "$secs" --corpus "$work/known.txt" \
          --nonce-fraction 1
        flood_pid[nonce]=$last_pid
        flood "flood-unknown-$kind$round" "${flood_conns[$kind]}" "$secs" \
          --corpus "$work/unknown.txt" --mix unknown=1
        flood_pid[unknown]=$last_pid
        ;;
      D)
        # The control: as many connections as C, at full speed, asking for
        # cached answers only. What C does beyond this is live signing's.
        for f in cached-1 cached-2; do
          flood "flood-$f-$kind$round" "${flood_conns[$kind]}" "$secs" --corpus "$work/known.txt"
          flood_pid[$f]=$last_pid
        done
        ;;
    esac
    for f in "${!flood_pid[@]}"; do watch+=("${flood_pid[$f]} $work/flood-$f-$kind$round.cpu"); done
    if [[ $kind != A ]]; then
      sleep "$lead_s"
    fi
    hit "$label" || true
    snapshot "$label" 1
    # The flood clients' own CPU (they share the client core with the
    # hit-path client), if they still run.
    for w in "${watch[@]}"; do cpu "${w#* }" "${w%% *}"; done
    for p in "${flood_pid[@]}"; do
      wait "$p" || true
      forget "$p"
    done
    # A wrong answer or any error fails the run. No answers at all (the hit
    # path starved for the whole run) is a result, which keyward-bench's own
    # verdict would call a failure.
    if ! jq -e '.verified.wrong == 0 and .errors.http + .errors.ocsp + .errors.transport + .errors.timeouts == 0' \
      "$work/$label.json" >/dev/null 2>&1; then
      failed+=("$label")
      log "$label FAILED: $(grep -E 'wrong answer|errors|keyward-bench' "$work/$label.txt" | head -3 | tr '\n' ' ')"
    fi
    log "$label: $(sed -n 1p "$work/$label.txt" | sed 's/^[^:]*: //;s/^[^:]*: //'); $(sed -n 2p "$work/$label.txt" | sed 's/^ *//'); unsent $(jq -r .unsent "$work/$label.json" 2>/dev/null)"
    for f in "${!flood_pid[@]}"; do
      log "  flood-$f-$kind$round: $(jq -r '"\(.answers_total) answers, \(.errors.ocsp) tryLater, \(.errors.transport + .errors.timeouts) transport errors/timeouts"' \
        "$work/flood-$f-$kind$round.json" 2>/dev/null || echo 'no result')"
    done
    runs+=("$label")
    sleep 1  # let the signer queue drain before the next run
  done
done

# --- the result -------------------------------------------------------------------
printf '%s\n' "${runs[@]}" >"$work/runs.txt"
printf '%s\n' "${failed[@]}" >"$work/failed.txt"
jq -n --argjson hit_rate "$hit_rate" --argjson hit_connections "$hit_conns" \
  --argjson duration_s "$dur" --argjson rounds "$rounds" --arg kinds "$kinds" \
  --argjson flood_connections_b "${flood_conns[B]}" --argjson flood_connections_c "$overload_conns" \
  --argjson flood_connections_d "$overload_conns" \
  --argjson records "$count" --argjson unknown_serials "$unknown" --arg server_core "$server_core" \
  --arg client_core "$client_core" --arg redis_core "$redis_core" \
  --arg loadavg "$(cut -d' ' -f1-3 /proc/loadavg)" \
  --arg nice "$nice" --arg responder_autogroup "$resp_group" \
  '$ARGS.named + {warmup_s: 1, workers: 1, signer_threads: 1, signer_queue: 1024}' >"$work/config.json"
mkdir -p "$(dirname "$out_json")"
/usr/bin/python3 "$root/bench/flood_summary.py" "$work" "$out_json"
log "wrote $out_json"
((${#failed[@]} == 0))
