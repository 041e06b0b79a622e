#!/usr/bin/env bash
# bench/compare.sh: Keyward against the servers users would otherwise pick,
# in one bounded run, every figure a ratio to a reference measured in the
# same run. Servers run on loopback pinned to core 0 (BENCH_SERVER_CORE), the
# one client (keyward-bench) on core 1 (BENCH_CLIENT_CORE).
#
#   bench/compare.sh            # full run: about 10 minutes
#   BENCH_QUICK=1 bench/compare.sh   # small corpus and short runs, a smoke test
#
# Writes bench/out/*.json, bench/out/results.json, bench/RESULTS.md and
# bench/latency.png. Exits non-zero when any run failed (wrong answers,
# errors, a server that would not start). Stops every process it started,
# also on Ctrl-C and when its own time limit (BENCH_TIME_LIMIT_S) runs out.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${KEYWARD_BENCH_BUILD:-$root/build-bench-rel}
out=$root/bench/out
server_core=${BENCH_SERVER_CORE:-0}
client_core=${BENCH_CLIENT_CORE:-1}
if [[ -n ${BENCH_QUICK:-} ]]; then
  count=${BENCH_COUNT:-5000} scale_count=${BENCH_SCALE_COUNT:-20000}
  dur=${BENCH_DURATION:-2} sweep_dur=${BENCH_SWEEP_DURATION:-1} scep_n=40 prop_n=10
  rounds=2 round_dur=1
else
  count=${BENCH_COUNT:-100000} scale_count=${BENCH_SCALE_COUNT:-1000000}
  dur=${BENCH_DURATION:-5} sweep_dur=${BENCH_SWEEP_DURATION:-3} scep_n=300 prop_n=50
  rounds=3 round_dur=3
fi
time_limit=${BENCH_TIME_LIMIT_S:-870}
conns=64
work=$(mktemp -d /tmp/keyward-compare.XXXXXX)
chmod 755 "$work"  # nginx's worker (not root) reads the files under it
pids=()
failed=()
known_failures=()
started=$(date +%s)

log() { printf '[%4ds] %s\n' $(($(date +%s) - started)) "$*" >&2; }

# --- process bookkeeping: every background process is in pids -------------
# shellcheck source=bench/processes.sh
source "$root/bench/processes.sh"
bench_guard

# start NAME CMD...: run CMD in the background on the server core.
start() {
  local name=$1
  shift
  taskset -c "$server_core" "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
  last_pid=$!
}
stop() {
  local pid=$1 keep=()
  stop_pid "$pid"
  for p in "${pids[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
  pids=("${keep[@]}")
}
free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# wait_http URL [SECONDS]: until URL answers 200; prints the seconds waited.
wait_http() {
  local url=$1 limit=${2:-30} t0
  t0=$(date +%s.%N)
  while true; do
    if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url" || true) == 200 ]]; then
      /usr/bin/python3 -c "import time; print(round(time.time() - $t0, 3))"
      return 0
    fi
    if (($(date +%s) - ${t0%.*} > limit)); then return 1; fi
    sleep 0.05
  done
}

# wait_port PORT [SECONDS]: until something accepts on 127.0.0.1:PORT.
wait_port() {
  local port=$1 limit=$((${2:-30} * 20))
  for _ in $(seq "$limit"); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

# --- packages --------------------------------------------------------------
ensure() {  # ensure COMMAND PACKAGE
  command -v "$1" >/dev/null 2>&1 && return 0
  log "installing $2"
  if [[ -z ${apt_updated:-} ]]; then
    apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}
ensure nginx nginx-light
ensure cfssl golang-cfssl
ensure scepserver scep
ensure gnuplot gnuplot-nox
ensure redis-server redis-server
ensure taskset util-linux
ensure jq jq

# --- build -----------------------------------------------------------------
log "building Release in $build"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKEYWARD_TESTS=OFF >"$work/cmake.log"
ninja -C "$build" -j2 keyward keyward-responder keyward-issuer keyward-bench keyward-microbench \
  >"$work/build.log" || { tail -30 "$work/build.log"; exit 1; }
bin=$build/bin
bench=$bin/keyward-bench
mkdir -p "$out"
rm -f "$out"/*.json "$out"/*.txt

# --- PKI, Redis, config ------------------------------------------------------
redis_port=$(free_port)
resp_port=$(free_port)
resp2_port=$(free_port)
issuer_port=$(free_port)
mkdir -p "$work/pki"
write_config() {  # write_config FILE RESPONDER_PORT
  cat >"$1" <<EOF
[store]
redis = "redis://127.0.0.1:$redis_port/0"
[ocsp]
validity_s = 86400
[[ca]]
name = "bench"
cert = "$work/pki/ca.pem"
key = "$work/pki/ca.key"
ocsp_signer_cert = "$work/pki/ocsp.pem"
ocsp_signer_key = "$work/pki/ocsp.key"
ra_cert = "$work/pki/ra.pem"
ra_key = "$work/pki/ra.key"
[[ca]]
name = "scep"
key_type = "rsa-2048"
cert = "$work/pki/scep-ca.pem"
key = "$work/pki/scep-ca.key"
ocsp_signer_cert = "$work/pki/scep-ocsp.pem"
ocsp_signer_key = "$work/pki/scep-ocsp.key"
ra_cert = "$work/pki/scep-ra.pem"
ra_key = "$work/pki/scep-ra.key"
[responder]
listen = ["127.0.0.1:$2"]
workers = 1
signer_threads = 1
[issuer]
listen = ["127.0.0.1:$issuer_port"]
ca = "scep"
challenge = "bench-secret"
EOF
}
config=$work/keyward.toml
write_config "$config" "$resp_port"
write_config "$work/keyward2.toml" "$resp2_port"
"$bin/keyward" ca init --config "$config" >"$work/ca-init.log" 2>&1
ca=$work/pki/ca.pem

start redis redis-server --port "$redis_port" --bind 127.0.0.1 \
  --save "" --appendonly no --dir "$work"
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done

# --- the corpus: records in Redis, the same responses as files -------------
log "seeding $count records (1 % revoked) through StatusPublisher"
mkdir -p "$work/nginx-root"
taskset -c "$client_core" "$bench" seed --config "$config" --ca bench --count "$count" \
  --revoked-fraction 0.01 --corpus "$work/corpus.txt" --nginx-root "$work/nginx-root" \
  --index "$work/index.txt" --cfssl "$work/cfssl.txt" --unknown 1000 >"$out/seed.json" \
  2>"$work/seed.log"
log "seed: $(cat "$out/seed.json")"

common=(--ca-cert "$ca" --corpus "$work/corpus.txt" --duration "$dur" --warmup 1 --quiet)
# load LABEL URL ARGS...: one measured run; a failed run is recorded, not fatal.
load() {
  local label=$1 url=$2
  shift 2
  if taskset -c "$client_core" "$bench" load --url "$url" --label "$label" \
      --json "$out/load-$label.json" "${common[@]}" "$@" >"$out/load-$label.txt" 2>&1; then
    log "$label: $(head -1 "$out/load-$label.txt" | sed 's/^[^:]*: //;s/^[^:]*: //')"
  else
    log "$label FAILED: $(grep -E 'wrong answer|errors|keyward-bench' "$out/load-$label.txt" | head -2 | tr '\n' ' ')"
    if [[ -n ${expect_fail:-} ]]; then known_failures+=("$label"); else failed+=("$label"); fi
  fi
}
peak_of() { jq -r '.throughput_rps | floor' "$out/load-$1.json" 2>/dev/null || echo 0; }
# sweep PREFIX URL PEAK ARGS...: open loop at fractions of PEAK, 256 connections.
fractions=(0.1 0.25 0.5 0.75 0.9 1.0 1.1)
sweep() {
  local prefix=$1 url=$2 peak=$3
  shift 3
  for f in "${fractions[@]}"; do
    local rate
    rate=$(/usr/bin/python3 -c "print(max(100, int($peak * $f)))")
    common_save=("${common[@]}")
    common=(--ca-cert "$ca" --corpus "$work/corpus.txt" --duration "$sweep_dur" --warmup 1 --quiet)
    load "$prefix-open-$f" "$url" --rate "$rate" --connections 256 --max-error-rate 0.01 "$@"
    common=("${common_save[@]}")
  done
}

# --- Keyward -----------------------------------------------------------------
kw=http://127.0.0.1:$resp_port/
start keyward "$bin/keyward-responder" --config "$config"
kw_pid=$last_pid
kw_ready=$(wait_http "${kw}healthz" 60) || { log "keyward-responder did not become ready"; exit 1; }
log "keyward-responder ready after ${kw_ready}s"
load kw-ka-post "$kw" -c $conns
load kw-ka-get "$kw" -c $conns --method get
load kw-ka-sha256 "$kw" -c $conns --sha256-fraction 1
load kw-nc-post "$kw" -c $conns --new-connection
# Signatures per CPU-second of the signer threads (kw-signer), besides the
# whole responder's answers per second: the nonce target is per signer core.
signer_cpu_s() {  # CPU seconds used so far by PID's kw-signer threads
  local ticks=0 t
  for t in /proc/"$1"/task/*; do
    [[ $(cat "$t/comm" 2>/dev/null) == kw-signer ]] || continue
    ticks=$((ticks + $(awk '{print $14 + $15}' "$t/stat")))
  done
  /usr/bin/python3 -c "import os; print($ticks / os.sysconf('SC_CLK_TCK'))"
}
live_signatures() { curl -s "${kw}metrics" | awk '/^keyward_live_signatures_total/ {print $2}'; }
cpu0=$(signer_cpu_s "$kw_pid") sig0=$(live_signatures)
load kw-ka-nonce "$kw" -c $conns --nonce-fraction 1
cpu1=$(signer_cpu_s "$kw_pid") sig1=$(live_signatures)
jq -n --argjson cpu "$(/usr/bin/python3 -c "print(round($cpu1 - $cpu0, 3))")" \
  --argjson sigs "$((${sig1%.*} - ${sig0%.*}))" \
  '{signer_cpu_s: $cpu, signatures: $sigs,
    signatures_per_signer_cpu_s: (if $cpu > 0 then $sigs / $cpu else null end)}' >"$out/signer-core.json"
log "signer core: $(cat "$out/signer-core.json" | tr -d '\n ')"
load kw-nc-nonce "$kw" -c $conns --new-connection --nonce-fraction 1
load kw-ka-unknown "$kw" -c $conns --mix good=90,revoked=5,unknown=5
# Where the hit path spends its time, while a run holds it at its peak.
if command -v perf >/dev/null 2>&1; then
  (sleep 1.5 && timeout 10 perf record -F 1999 -g -p "$kw_pid" -o "$work/perf.data" -- sleep 3 \
    >/dev/null 2>&1) &
  perf_pid=$!
  pids+=($perf_pid)
  load kw-ka-post-perf "$kw" -c $conns
  wait "$perf_pid" 2>/dev/null || true
  perf report -i "$work/perf.data" --no-children --sort symbol --stdio 2>/dev/null \
    | grep -E '^ +[0-9]' | head -25 >"$out/perf-keyward.txt" || true
fi
kw_peak=$(peak_of kw-ka-post)
sweep kw "$kw" "$kw_peak" --method get
load kw-open-half-post "$kw" --rate $((kw_peak / 2)) --connections 256
stop "$kw_pid"

# --- nginx: the same DER files, by GET path ------------------------------------
ng_port=$(free_port)
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  types { }
  default_type application/ocsp-response;
  merge_slashes off;
  # Cached descriptors stay open: keep under the 20,000 fds a worker may have
  # here (raising RLIMIT_NOFILE is not permitted in this container).
  open_file_cache max=16000 inactive=60s;
  keepalive_requests 100000000;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server {
    listen 127.0.0.1:$ng_port backlog=4096;
    root $work/nginx-root;
    location / { }
  }
}
EOF
ng=http://127.0.0.1:$ng_port/
start nginx nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log"
ng_pid=$last_pid
wait_port "$ng_port" 10 || log "nginx did not open its port"
load ng-ka-get "$ng" -c $conns --method get
load ng-ka-sha256 "$ng" -c $conns --method get --sha256-fraction 1
load ng-nc-get "$ng" -c $conns --method get --new-connection
sweep ng "$ng" "$kw_peak" --method get
stop "$ng_pid"

# --- openssl ocsp: live signing from index.txt ---------------------------------
os_port=$(free_port)
os=http://127.0.0.1:$os_port/
# openssl ocsp -port binds every interface; nothing but loopback talks to it.
# It serves one connection at a time and, once a run's clients have hung up
# mid-request, answers nothing more: each run gets a fresh process. No port
# probe either: it stalls on a probe that connects and sends nothing.
os_load() {  # os_load LABEL ARGS...
  start "openssl-$1" openssl ocsp -index "$work/index.txt" -CA "$ca" -rsigner "$work/pki/ocsp.pem" \
    -rkey "$work/pki/ocsp.key" -port "$os_port" -nmin 1440 -ignore_err
  local pid=$last_pid
  sleep 1
  load "$@"
  stop "$pid"
}
os_load os-ka-post "$os" -c 8
os_load os-nc-post "$os" -c 8 --new-connection
os_load os-ka-nonce "$os" -c 8 --nonce-fraction 1

# --- cfssl ocspserve: the same responses from a file -----------------------------
cf_port=$(free_port)
cf=http://127.0.0.1:$cf_port/
start cfssl cfssl ocspserve -responses "$work/cfssl.txt" -address 127.0.0.1 -port "$cf_port" -loglevel 4
cf_pid=$last_pid
wait_port "$cf_port" 60 || log "cfssl did not open its port"
load cf-ka-post "$cf" -c $conns
# cfssl unescapes the GET path a second time, turning every '+' of the base64
# into a space: GET fails for most requests. Measured and shown, not counted
# as a failed run.
expect_fail=1 load cf-ka-get "$cf" -c $conns --method get
load cf-nc-post "$cf" -c $conns --new-connection
# cfssl serves stored answers only: the nonce cannot be echoed; count it.
load cf-ka-nonce "$cf" -c $conns --nonce-fraction 1 --nonce-check report
stop "$cf_pid"

# --- interleaved rounds for the ratio targets ---------------------------------
# On a shared machine a single run of each server, minutes apart, can swing
# either way by 2x. Here Keyward and cfssl run side by side (each idle while
# the other is measured) and all three are measured in turn, round after
# round; the targets use the median of the per-round ratios. openssl ocsp is
# started afresh for each of its runs (os_load above).
log "ratio rounds: Keyward, openssl ocsp and cfssl in turn, $rounds rounds"
start keyward-rounds "$bin/keyward-responder" --config "$config"
rk_pid=$last_pid
start cfssl-rounds cfssl ocspserve -responses "$work/cfssl.txt" -address 127.0.0.1 -port "$cf_port" \
  -loglevel 4
rc_pid=$last_pid
wait_http "${kw}healthz" 60 >/dev/null || log "keyward-responder (rounds) did not become ready"
wait_port "$cf_port" 60 || log "cfssl (rounds) did not open its port"
sleep 1
common_save=("${common[@]}")
common=(--ca-cert "$ca" --corpus "$work/corpus.txt" --duration "$round_dur" --warmup 1 --quiet)
for ((r = 1; r <= rounds; r++)); do
  load "round$r-kw" "$kw" -c $conns
  os_load "round$r-os" "$os" -c 8
  load "round$r-cf" "$cf" -c $conns
done
common=("${common_save[@]}")
stop "$rc_pid"
stop "$rk_pid"

# --- revocation propagation to two responders -------------------------------
log "propagation: $prop_n revocations while polling two responders"
start keyward-a "$bin/keyward-responder" --config "$config"
prop_a=$last_pid
start keyward-b "$bin/keyward-responder" --config "$work/keyward2.toml"
prop_b=$last_pid
wait_http "${kw}healthz" 60 >/dev/null && wait_http "http://127.0.0.1:$resp2_port/healthz" 60 >/dev/null \
  || log "a responder for the propagation probe did not become ready"
# Good serials from the seed (index i: 4B57 + 28 hex digits of i+1; every
# hundredth, at i % 100 == 50, is already revoked).
for i in $(seq 1000 $((1000 + prop_n - 1))); do printf '4B57%028X\n' $((i + 1)); done >"$work/prop-serials.txt"
if taskset -c "$client_core" "$bench" propagation --keyward "$bin/keyward" --config "$config" --ca bench \
    --ca-cert "$ca" --url "$kw" --url "http://127.0.0.1:$resp2_port/" --serials "$work/prop-serials.txt" \
    --json "$out/propagation.json" >"$out/propagation.txt" 2>"$work/propagation.log"; then
  log "propagation: $(sed -n 2p "$out/propagation.txt")"
else
  log "propagation FAILED: $(tail -2 "$work/propagation.log" | tr '\n' ' ')"
  failed+=(propagation)
fi
stop "$prop_b"
stop "$prop_a"

# --- SCEP: keyward-issuer and micromdm scepserver, the same client --------------
scep() {  # scep LABEL URL CONNECTIONS
  if taskset -c "$client_core" "$bench" scep --url "$2" --challenge bench-secret -c "$3" -n "$scep_n" \
      --keys 16 --key-bits 2048 --label "$1" --json "$out/scep-$1.json" >"$out/scep-$1.txt" 2>&1; then
    log "$1: $(grep -m1 'enrollments/s' "$out/scep-$1.txt" | sed 's/^[^:]*: //;s/^[^:]*: //')"
  else
    log "$1 FAILED: $(grep -E 'wrong|errors|keyward-bench' "$out/scep-$1.txt" | head -2 | tr '\n' ' ')"
    failed+=("scep-$1")
  fi
}
# Both servers run side by side (each idle while the other is measured) and
# are measured in turn, round after round: the targets use the median of the
# per-round ratios, which a noisy neighbour moves far less than one run.
start issuer "$bin/keyward-issuer" --config "$config"
iss_pid=$last_pid
scep_port=$(free_port)
(cd "$work" && scepserver ca -init -depot "$work/depot" -keySize 2048 >/dev/null 2>&1)
# scepserver -port binds every interface; nothing but loopback talks to it.
start scepserver scepserver -depot "$work/depot" -port "$scep_port" -challenge bench-secret -allowrenew 0
sc_pid=$last_pid
wait_http "http://127.0.0.1:$issuer_port/scep?operation=GetCACaps" 30 >/dev/null || log "keyward-issuer not ready"
wait_http "http://127.0.0.1:$scep_port/scep?operation=GetCACaps" 30 >/dev/null || log "scepserver not ready"
for ((r = 1; r <= rounds; r++)); do
  for c in 1 4; do
    scep "kw-c$c-r$r" "http://127.0.0.1:$issuer_port/scep" "$c"
    scep "mm-c$c-r$r" "http://127.0.0.1:$scep_port/scep" "$c"
  done
done
stop "$sc_pid"
stop "$iss_pid"

# --- scale: 1,000,000 certificates -----------------------------------------------
# Seeding a million records takes about three minutes here; when the build
# ate the budget, scale down rather than be cut off by the watchdog.
if (($(date +%s) - started > time_limit - 320)); then
  scale_count=$((scale_count / 4))
  log "scale: short of time, seeding $scale_count instead"
fi
log "scale: seeding $scale_count records"
redis-cli -p "$redis_port" flushall >/dev/null
taskset -c "$client_core" "$bench" seed --config "$config" --ca bench --count "$scale_count" \
  --revoked-fraction 0.01 --corpus "$work/corpus-scale.txt" --corpus-max 100000 --unknown 0 \
  --threads 2 >"$out/seed-scale.json" 2>"$work/seed-scale.log"
log "seed: $(cat "$out/seed-scale.json")"
# Two warm-ups of a fresh responder. First with Redis moved to the client
# core, idle until the load run: a core of its own, as when Redis runs on
# another host. Then with Redis back on the server core, sharing it with the
# responder as in every other run here. CPU seconds of both are recorded.
redis_pid=${pids[0]}
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"; }
warm_once() {  # warm_once LABEL: start keyward-scale, wait for /healthz, write $out/scale-LABEL.json
  local label=$1 redis_cpu0 warm
  redis_cpu0=$(cpu_s "$redis_pid")
  start "keyward-scale-$label" "$bin/keyward-responder" --config "$config"
  sc_kw=$last_pid
  if ! warm=$(wait_http "${kw}healthz" 120); then
    log "scale: responder not ready within 120 s (Redis $label)"
    return 1
  fi
  local redis_cpu1 resp_cpu metrics
  redis_cpu1=$(cpu_s "$redis_pid")
  resp_cpu=$(cpu_s "$sc_kw")
  sleep 1  # let the allocator settle before reading RSS
  rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$sc_kw/status")
  metrics=$(curl -s "${kw}metrics")
  jq -n --argjson ready "$warm" --argjson rss "$rss_kb" \
    --arg wm "$(awk '/^keyward_warm_milliseconds/ {print $2}' <<<"$metrics")" \
    --arg we "$(awk '/^keyward_warm_entries/ {print $2}' <<<"$metrics")" \
    --arg cb "$(awk '/^keyward_cache_bytes/ {print $2}' <<<"$metrics")" \
    --argjson rc "$(awk -v a="$redis_cpu0" -v b="$redis_cpu1" 'BEGIN {printf "%.2f", b - a}')" \
    --argjson kc "$resp_cpu" --arg redis "$label" \
    '{redis: $redis, ready_s: $ready, rss_bytes: ($rss * 1024), warm_ms: ($wm | tonumber? // null),
      warm_entries: ($we | tonumber? // null), cache_bytes: ($cb | tonumber? // null),
      redis_cpu_s: $rc, responder_cpu_s: $kc}' >"$out/scale-$label.json"
  log "scale: ready after ${warm}s with Redis $label (Redis CPU $(jq .redis_cpu_s "$out/scale-$label.json") s, responder CPU $resp_cpu s), RSS $((rss_kb / 1024)) MiB"
}
taskset -p -c "$client_core" "$redis_pid" >/dev/null
if warm_once own-core; then
  stop "$sc_kw"
  taskset -p -c "$server_core" "$redis_pid" >/dev/null
  if warm_once shared-core; then
    common=(--ca-cert "$ca" --corpus "$work/corpus-scale.txt" --duration "$dur" --warmup 1 --quiet)
    load kw1m-ka-post "$kw" -c $conns
  else
    failed+=(scale)
  fi
  stop "$sc_kw"
else
  failed+=(scale)
  stop "$sc_kw"
fi
stop "${pids[0]}"  # redis

# --- the hit path under a live-signing flood (bench/flood_isolation.sh) ----------
# Its own Redis and responder on the same cores: the hit path alone (A), then
# during floods of nonce requests and never-issued serials that the signer
# queue holds (B) or overflows (C), and the control D (as many connections as
# C, cached requests only). Into RESULTS.md through flood-isolation.json.
log "flood isolation: the hit path alone and during live-signing floods"
if BENCH_SERVER_CORE=$server_core BENCH_CLIENT_CORE=$client_core FLOOD_DURATION=$dur \
    "$root/bench/flood_isolation.sh" --bin "$bin" --out "$out/flood-isolation.json" \
    >"$out/flood-isolation.txt" 2>"$work/flood-isolation.log"; then
  while read -r line; do log "flood isolation: $line"; done <"$out/flood-isolation.txt"
else
  log "flood isolation FAILED: $(tail -3 "$work/flood-isolation.log" | tr '\n' ' ')"
  failed+=(flood-isolation)
fi
# --- end of the flood isolation section ------------------------------------------

# --- micro-benchmarks ------------------------------------------------------------
log "micro-benchmarks"
taskset -c "$client_core" "$bin/keyward-microbench" --benchmark_color=false \
  --benchmark_out="$out/micro.json" --benchmark_out_format=json >"$out/micro.txt" 2>&1 \
  || failed+=(micro)

# --- the report -------------------------------------------------------------------
jq -n --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg kernel "$(uname -r)" \
  --arg cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')" \
  --argjson cores "$(nproc)" --arg mem "$(free -g | awk '/Mem:/ {print $2}')" \
  --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" --arg commit "$(git -C "$root" rev-parse --short HEAD)" \
  --arg nginx "$(nginx -v 2>&1 | cut -d/ -f2)" --arg openssl "$(openssl version)" \
  --arg cfssl "$(cfssl version 2>/dev/null | head -1)" --arg scep "$(scepserver -version 2>&1 | head -1)" \
  --argjson count "$count" --argjson scale "$scale_count" --argjson dur "$dur" \
  --argjson elapsed $(($(date +%s) - started)) --arg failed "${failed[*]:-}" \
  --arg known "${known_failures[*]:-}" \
  --arg server_core "$server_core" --arg client_core "$client_core" \
  '{date: $date, kernel: $kernel, cpu: $cpu, cores: $cores, mem_gb: $mem, loadavg_at_end: $load,
    commit: $commit, versions: {nginx: $nginx, openssl: $openssl, cfssl: $cfssl, scepserver: $scep},
    corpus: $count, scale: $scale, duration_s: $dur, elapsed_s: $elapsed,
    server_core: $server_core, client_core: $client_core,
    failed: ($failed | split(" ") | map(select(. != ""))),
    known_failures: ($known | split(" ") | map(select(. != "")))}' >"$out/meta.json"
/usr/bin/python3 "$root/bench/report.py" "$out" "$root/bench"
log "done in $(($(date +%s) - started)) s; failed runs: ${failed[*]:-none}"
((${#failed[@]} == 0))
