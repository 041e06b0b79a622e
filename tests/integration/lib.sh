# shellcheck shell=bash
# Shared helpers for the end-to-end tests in tests/integration/*_test.sh.
#
# Each test script sources this file, calls kw_init NAME, and then uses the
# helpers below. Everything a script starts (redis-server, responders,
# pollers, helper shells) is recorded by PID and stopped by PID in the EXIT
# trap; the temporary directory is removed unless KEYWARD_KEEP_TMP=1.
#
# Binaries come from $KEYWARD_BIN (default: <repo>/build/bin).
# Every wait is bounded: helpers take a timeout and fail when it passes.

KW_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KW_REPO="$(git -C "$KW_LIB_DIR" rev-parse --show-toplevel 2>/dev/null || (cd "$KW_LIB_DIR/../.." && pwd))"
KEYWARD_BIN="${KEYWARD_BIN:-$KW_REPO/build/bin}"

KW_NAME=""
KW_TMP=""
KW_PASSED=0
KW_FAILED=0
KW_PIDS=()          # every process we started, stopped in reverse order
KW_PORTS_TAKEN=" "  # ports handed out by kw_free_port in this script

# ---------------------------------------------------------------------------
# Reporting

kw_pass() { echo "PASS $1"; KW_PASSED=$((KW_PASSED + 1)); }
kw_fail() {
  echo "FAIL $1: $2"
  KW_FAILED=$((KW_FAILED + 1))
}
kw_note() { echo "  # $*"; }

# kw_check NAME CMD...: PASS when CMD succeeds, FAIL with its output otherwise.
kw_check() {
  local name="$1"
  shift
  local out
  if out="$("$@" 2>&1)"; then
    kw_pass "$name"
  else
    kw_fail "$name" "command failed: $* :: $(kw_oneline "$out")"
  fi
}

# kw_check_alive NAME PID REASON: PASS while PID runs, FAIL with REASON otherwise.
kw_check_alive() {
  if kw_alive "$2"; then kw_pass "$1"; else kw_fail "$1" "$3"; fi
}

# kw_oneline TEXT: squeeze multi-line output into one bounded line for reports.
kw_oneline() { printf '%s' "$1" | tr '\n\t' '  ' | tr -s ' ' | cut -c1-600; }

# kw_die REASON: a setup step failed; nothing after it can be checked.
kw_die() {
  kw_fail "${KW_NAME}_setup" "$1"
  exit 1
}

# ---------------------------------------------------------------------------
# Lifecycle

# kw_init NAME [EXECUTABLE...]: temp dir, EXIT trap, check that the named
# executables (default: keyward keyward-responder) are in $KEYWARD_BIN.
kw_init() {
  KW_NAME="$1"
  shift
  local need=("$@")
  ((${#need[@]} > 0)) || need=(keyward keyward-responder)
  KW_TMP="$(mktemp -d "${TMPDIR:-/tmp}/kw-${KW_NAME}.XXXXXX")"
  trap kw_cleanup EXIT
  trap 'exit 130' INT TERM
  local b
  for b in "${need[@]}"; do
    [[ -x "$KEYWARD_BIN/$b" ]] || kw_die "missing executable $KEYWARD_BIN/$b (set KEYWARD_BIN)"
  done
  command -v redis-server >/dev/null || kw_die "redis-server not installed"
  command -v openssl >/dev/null || kw_die "openssl not installed"
  command -v curl >/dev/null || kw_die "curl not installed"
}

kw_cleanup() {
  local rc=$?
  set +e
  local i
  for ((i = ${#KW_PIDS[@]} - 1; i >= 0; i--)); do
    kw_stop_pid "${KW_PIDS[i]}"
  done
  if ((KW_FAILED > 0)) && [[ -n "$KW_TMP" ]]; then
    local log
    for log in "$KW_TMP"/*.log; do
      [[ -s "$log" && "$log" != */redis-*.log ]] || continue
      echo "---- last lines of $(basename "$log")"
      tail -n 15 "$log" | cut -c1-300
    done
  fi
  if [[ -n "$KW_TMP" && "${KEYWARD_KEEP_TMP:-0}" != 1 ]]; then
    rm -rf "$KW_TMP"
  elif [[ -n "$KW_TMP" ]]; then
    echo "  # kept $KW_TMP"
  fi
  # The closing line runners look for.
  echo "${KW_NAME}: ${KW_PASSED} passed, ${KW_FAILED} failed"
  if ((KW_FAILED > 0)); then exit 1; fi
  exit "$rc"
}

# kw_finish: end of the script; the EXIT trap prints the summary.
kw_finish() {
  if ((KW_FAILED > 0)); then exit 1; fi
  exit 0
}

# kw_stop_pid PID: TERM, wait up to 5 s, then KILL; reaps it. Never by name.
kw_stop_pid() {
  local pid="$1" i
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null || true
    return 0
  fi
  kill -CONT "$pid" 2>/dev/null || true
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# kw_forget_pid PID: drop PID from the cleanup list (after stopping it).
kw_forget_pid() {
  local pid="$1" p keep=()
  for p in "${KW_PIDS[@]}"; do [[ "$p" == "$pid" ]] || keep+=("$p"); done
  KW_PIDS=("${keep[@]}")
}

# kw_start_daemon VAR LOGNAME CMD...: start CMD in the background with its
# output in $KW_TMP/LOGNAME.log; its PID goes into VAR and the cleanup list.
kw_start_daemon() {
  local var="$1" log="$2"
  shift 2
  "$@" >"$KW_TMP/$log.log" 2>&1 &
  local pid=$!
  KW_PIDS+=("$pid")
  printf -v "$var" '%s' "$pid"
}

# kw_alive PID: the process exists and is not a zombie.
kw_alive() {
  local state
  state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" || return 1
  [[ -n "$state" && "$state" != Z ]]
}

# ---------------------------------------------------------------------------
# Time

# kw_now_ms: wall clock in milliseconds (bash 5 EPOCHREALTIME, no forks).
kw_now_ms() {
  local t="${EPOCHREALTIME/[.,]/}"
  echo $((t / 1000))
}

# ---------------------------------------------------------------------------
# Ports and Redis

# kw_port_in_use PORT: something listens on 127.0.0.1:PORT (or any address).
kw_port_in_use() {
  local p="$1"
  if [[ -n "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]]; then return 0; fi
  # ss may be missing on a minimal machine: a connect that succeeds means taken.
  (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null
}

# kw_free_port VAR: set VAR to a loopback port nothing listens on and that
# this script has not handed out before (not in a subshell, so the record of
# handed-out ports survives).
kw_free_port() {
  local i p
  for ((i = 0; i < 200; i++)); do
    # Below the kernel's ephemeral range (32768 and up), so no outgoing
    # connection of another process can take the port between pick and bind.
    p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
    [[ "$KW_PORTS_TAKEN" == *" $p "* ]] && continue
    kw_port_in_use "$p" && continue
    KW_PORTS_TAKEN+="$p "
    printf -v "$1" '%s' "$p"
    return 0
  done
  kw_die "no free loopback port found"
}

# kw_start_redis VAR PORT [extra redis-server args...]: start redis-server on
# 127.0.0.1:PORT without persistence (unless the extra args ask for it), wait
# until it answers PING (10 s), PID into VAR.
kw_start_redis() {
  local var="$1" port="$2"
  shift 2
  local dir="$KW_TMP/redis-$port"
  mkdir -p "$dir"
  kw_start_daemon "$var" "redis-$port" redis-server --port "$port" --bind 127.0.0.1 \
    --save '' --appendonly no --dir "$dir" --daemonize no "$@"
  local deadline=$(($(kw_now_ms) + 10000))
  while (($(kw_now_ms) < deadline)); do
    if [[ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" == PONG ]]; then return 0; fi
    kw_alive "${!var}" || break
    sleep 0.05
  done
  kw_die "redis-server on port $port did not answer PING within 10 s"
}

# ---------------------------------------------------------------------------
# Configuration

# kw_ca_toml_keyward NAME DIR: a [[ca]] table for a Keyward-run CA whose files
# live in DIR (created by `keyward ca init`).
kw_ca_toml_keyward() {
  local name="$1" dir="$2"
  cat <<EOF
[[ca]]
name = "$name"
cert = "$dir/$name-ca.pem"
key = "$dir/$name-ca.key"
ocsp_signer_cert = "$dir/$name-ocsp.pem"
ocsp_signer_key = "$dir/$name-ocsp.key"
EOF
}

# kw_write_config FILE REDIS_PORT LISTEN_PORT CA_TOML [EXTRA_TOML]: the one
# TOML file every process reads. EXTRA_TOML is appended verbatim (it may add
# keys to [responder], which is written last for that reason).
kw_write_config() {
  local file="$1" redis_port="$2" listen_port="$3" ca_toml="$4" extra="${5:-}"
  cat >"$file" <<EOF
[store]
redis = "redis://127.0.0.1:$redis_port/0"

$ca_toml

[poller]
interval_s = ${KW_POLL_INTERVAL_S:-1}

[responder]
listen = ["127.0.0.1:$listen_port"]
workers = ${KW_WORKERS:-2}
$extra
EOF
}

# ---------------------------------------------------------------------------
# Certificates

# kw_make_csr NAME CN: EC P-256 key NAME.key and CSR NAME.csr in $KW_TMP.
kw_make_csr() {
  local name="$1" cn="$2"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$KW_TMP/$name.key" -out "$KW_TMP/$name.csr" -subj "/CN=$cn" >/dev/null 2>&1 ||
    kw_die "openssl req for $name failed"
}

# kw_serial CERT: the serial in upper-case hex, as `openssl x509` prints it.
kw_serial() { openssl x509 -in "$1" -noout -serial | sed 's/^serial=//'; }

# kw_cli OUTVAR RCVAR ARGS...: run `keyward ARGS` (bounded to 30 s), capture
# stdout+stderr into OUTVAR and the exit code into RCVAR.
kw_cli() {
  local __out="$1" __rc="$2"
  shift 2
  local o r=0
  o="$(timeout 30 "$KEYWARD_BIN/keyward" "$@" 2>&1)" || r=$?
  printf -v "$__out" '%s' "$o"
  printf -v "$__rc" '%s' "$r"
}

# kw_issue CONFIG CA NAME CN: CSR + `keyward issue`; certificate in NAME.pem.
kw_issue() {
  local config="$1" ca="$2" name="$3" cn="$4" out rc
  kw_make_csr "$name" "$cn"
  kw_cli out rc issue --config "$config" --ca "$ca" --csr "$KW_TMP/$name.csr" --out "$KW_TMP/$name.pem"
  [[ "$rc" == 0 && -s "$KW_TMP/$name.pem" ]] ||
    kw_die "keyward issue --config $config --ca $ca --csr $name.csr --out $name.pem: exit $rc: $(kw_oneline "$out")"
}

# kw_foreign_ca: a CA made with openssl that no responder serves, and a leaf
# from it: foreign-ca.pem, foreign-leaf.pem in $KW_TMP.
kw_foreign_ca() {
  local t="$KW_TMP"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -keyout "$t/foreign-ca.key" -out "$t/foreign-ca.pem" -subj "/CN=Foreign Test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    >/dev/null 2>&1 || kw_die "openssl req (foreign CA) failed"
  kw_make_csr foreign-leaf foreign.example
  openssl x509 -req -in "$t/foreign-leaf.csr" -CA "$t/foreign-ca.pem" -CAkey "$t/foreign-ca.key" \
    -CAcreateserial -days 30 -out "$t/foreign-leaf.pem" >/dev/null 2>&1 ||
    kw_die "openssl x509 -req (foreign leaf) failed"
}

# ---------------------------------------------------------------------------
# HTTP

# kw_wait_url URL TIMEOUT_S [PID]: poll until URL answers 2xx; fail early if
# PID dies. Returns non-zero on timeout.
kw_wait_url() {
  local url="$1" timeout_s="$2" pid="${3:-}"
  local deadline=$(($(kw_now_ms) + timeout_s * 1000))
  while (($(kw_now_ms) < deadline)); do
    if curl -fsS --max-time 1 -o /dev/null "$url" 2>/dev/null; then return 0; fi
    if [[ -n "$pid" ]] && ! kw_alive "$pid"; then return 2; fi
    sleep 0.1
  done
  return 1
}

# kw_start_responder VAR CONFIG PORT [NAME]: start keyward-responder and wait
# for /healthz (20 s).
kw_start_responder() {
  local var="$1" config="$2" port="$3" name="${4:-responder-$3}"
  kw_start_daemon "$var" "$name" "$KEYWARD_BIN/keyward-responder" --config "$config"
  local rc=0
  kw_wait_url "http://127.0.0.1:$port/healthz" 20 "${!var}" || rc=$?
  case "$rc" in
    0) return 0 ;;
    2) kw_die "keyward-responder --config $config exited: $(kw_oneline "$(tail -n 5 "$KW_TMP/$name.log")")" ;;
    *) kw_die "keyward-responder on port $port: /healthz not ready within 20 s" ;;
  esac
}

# kw_post_der URL REQ OUT: POST REQ as application/ocsp-request; the body goes
# to OUT; prints the HTTP status code ("000" when no answer).
kw_post_der() {
  curl -sS --max-time 5 -o "$3" -w '%{http_code}' -H 'Content-Type: application/ocsp-request' \
    --data-binary "@$2" "$1" 2>/dev/null || true
}

# kw_b64url FILE: base64 of FILE with +, / and = percent-encoded (RFC 6960 A.1).
kw_b64url() { base64 -w0 "$1" | sed -e 's/+/%2B/g' -e 's#/#%2F#g' -e 's/=/%3D/g'; }

# ---------------------------------------------------------------------------
# OCSP

# kw_ocsp_req ISSUER CERT OUT [openssl ocsp options]: a DER request, no nonce.
kw_ocsp_req() {
  local issuer="$1" cert="$2" out="$3"
  shift 3
  # openssl wants the CertID digest option before -cert.
  openssl ocsp "$@" -issuer "$issuer" -cert "$cert" -no_nonce -reqout "$out" >/dev/null 2>&1
}

# kw_ocsp_status_of OUTPUT CERT: the status word openssl ocsp printed for CERT
# ("good", "revoked", "unknown"), or the responder error word, or "none".
kw_ocsp_status_of() {
  local output="$1" cert="$2" line
  if line="$(grep -m1 -o 'Responder Error: [a-zA-Z]*' <<<"$output")"; then
    echo "${line#Responder Error: }"
    return
  fi
  line="$(grep -m1 -F "$cert: " <<<"$output")" || { echo none; return; }
  echo "${line##*: }"
}

# kw_ocsp_expect NAME EXPECT OUTPUT CERT: check openssl ocsp's OUTPUT (stdout
# and stderr together). EXPECT is good|revoked|unknown (signature must verify)
# or an error word such as unauthorized (no signature on those).
kw_ocsp_expect() {
  local name="$1" expect="$2" output="$3" cert="$4" got
  got="$(kw_ocsp_status_of "$output" "$cert")"
  case "$expect" in
    good | revoked | unknown)
      if ! grep -q '^Response verify OK' <<<"$output"; then
        kw_fail "$name" "no 'Response verify OK' (status $got): $(kw_oneline "$output")"
      elif [[ "$got" != "$expect" ]]; then
        kw_fail "$name" "want $expect, got $got: $(kw_oneline "$output")"
      else
        kw_pass "$name"
      fi
      ;;
    *)
      if [[ "$got" == "$expect" ]]; then
        kw_pass "$name"
      else
        kw_fail "$name" "want Responder Error: $expect, got $got: $(kw_oneline "$output")"
      fi
      ;;
  esac
}

# kw_ocsp_check NAME EXPECT URL ISSUER CERT TRUST [openssl ocsp options]: ask
# the responder with `openssl ocsp -no_nonce` (POST) and check the answer.
# TRUST is the CA file used to verify the delegated signer.
kw_ocsp_check() {
  local name="$1" expect="$2" url="$3" issuer="$4" cert="$5" trust="$6"
  shift 6
  local out
  # openssl wants the CertID digest option (-sha256) before -cert.
  out="$(timeout 15 openssl ocsp "$@" -issuer "$issuer" -cert "$cert" -url "$url" -no_nonce \
    -CAfile "$trust" -timeout 10 2>&1)" || true
  kw_ocsp_expect "$name" "$expect" "$out" "$cert"
}

# kw_ocsp_respin_check NAME EXPECT RESP ISSUER CERT TRUST [options]: check a
# response already on disk (from curl). Pass the digest (-sha256) the request
# used, so openssl looks for the matching CertID.
kw_ocsp_respin_check() {
  local name="$1" expect="$2" resp="$3" issuer="$4" cert="$5" trust="$6" out
  shift 6
  out="$(timeout 15 openssl ocsp "$@" -respin "$resp" -issuer "$issuer" -cert "$cert" \
    -no_nonce -CAfile "$trust" 2>&1)" || true
  kw_ocsp_expect "$name" "$expect" "$out" "$cert"
}

# kw_resp_status RESP ISSUER CERT TRUST: print the verified status in RESP
# (good/revoked/unknown), an error word, "unverified" or "none".
kw_resp_status() {
  local out
  out="$(timeout 15 openssl ocsp -respin "$1" -issuer "$2" -cert "$3" -no_nonce -CAfile "$4" 2>&1)" ||
    true
  local got
  got="$(kw_ocsp_status_of "$out" "$3")"
  case "$got" in
    good | revoked | unknown) grep -q '^Response verify OK' <<<"$out" || got=unverified ;;
  esac
  echo "$got"
}

# kw_poll_status URL REQ ISSUER CERT TRUST WANT TIMEOUT_MS: POST REQ until the
# answer's verified status is WANT. Prints the elapsed milliseconds; returns
# non-zero (printing the last status seen) on timeout.
kw_poll_status() {
  local url="$1" req="$2" issuer="$3" cert="$4" trust="$5" want="$6" timeout_ms="$7"
  local start now got=none resp="$KW_TMP/poll.$$.$RANDOM.der"
  start="$(kw_now_ms)"
  while :; do
    kw_post_der "$url" "$req" "$resp" >/dev/null
    got="$(kw_resp_status "$resp" "$issuer" "$cert" "$trust")"
    now="$(kw_now_ms)"
    if [[ "$got" == "$want" ]]; then
      echo $((now - start))
      return 0
    fi
    if ((now - start > timeout_ms)); then
      echo "$got"
      return 1
    fi
    sleep 0.02
  done
}

# kw_cpu_ticks PID: utime+stime of PID (all threads) in clock ticks.
kw_cpu_ticks() {
  local stat rest
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  rest="${stat##*) }"  # the comm field may hold spaces; fields after it are fixed
  # rest starts at field 3 (state); utime is field 14, stime 15.
  awk '{print $12 + $13}' <<<"$rest"
}

# ---------------------------------------------------------------------------
# An operator's own OpenSSL CA (`openssl ca`, with its index.txt)

# kw_openssl_ca DIR: create a CA in DIR run by `openssl ca`: ca.pem/ca.key,
# index.txt, serial, openssl.cnf, and a delegated OCSP signer ocsp.pem/ocsp.key
# (extendedKeyUsage=OCSPSigning, ocsp-nocheck) issued through `openssl ca`.
kw_openssl_ca() {
  local d="$1"
  mkdir -p "$d/newcerts"
  : >"$d/index.txt"
  echo 1000 >"$d/serial"
  cat >"$d/openssl.cnf" <<EOF2
[ ca ]
default_ca = kwca
[ kwca ]
dir = $d
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
serial = \$dir/serial
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
default_md = sha256
default_days = 30
policy = anything
unique_subject = no
copy_extensions = none
[ anything ]
commonName = supplied
[ leaf_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
[ ocsp_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = OCSPSigning
noCheck = ignored
[ req ]
distinguished_name = dn
[ dn ]
EOF2
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -keyout "$d/ca.key" -out "$d/ca.pem" -subj "/CN=Operator OpenSSL CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -config "$d/openssl.cnf" >/dev/null 2>&1 || kw_die "openssl req (operator CA) failed"
  kw_openssl_ca_issue "$d" ocsp "Operator OCSP Signer" ocsp_ext
}

# kw_openssl_ca_issue DIR NAME CN [EXT]: key, CSR and `openssl ca` certificate
# DIR/NAME.{key,pem}; recorded as V in DIR/index.txt.
kw_openssl_ca_issue() {
  local d="$1" name="$2" cn="$3" ext="${4:-leaf_ext}"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/$name.key" \
    -out "$d/$name.csr" -subj "/CN=$cn" -config "$d/openssl.cnf" >/dev/null 2>&1 ||
    kw_die "openssl req ($name) failed"
  openssl ca -batch -config "$d/openssl.cnf" -extensions "$ext" -in "$d/$name.csr" \
    -out "$d/$name.pem" -notext >"$KW_TMP/openssl-ca-$name.out" 2>&1 ||
    kw_die "openssl ca ($name) failed: $(kw_oneline "$(cat "$KW_TMP/openssl-ca-$name.out")")"
}

# ---------------------------------------------------------------------------
# A Keyward-run CA

# kw_ca_init CONFIG: `keyward ca init --config CONFIG`; dies on failure.
kw_ca_init() {
  local out rc
  kw_cli out rc ca init --config "$1"
  [[ "$rc" == 0 ]] || kw_die "keyward ca init --config $1: exit $rc: $(kw_oneline "$out")"
}

# kw_revoke CONFIG CA SERIAL [REASON]: `keyward revoke`; dies on failure.
kw_revoke() {
  local out rc
  kw_cli out rc revoke --config "$1" --ca "$2" --serial "$3" --reason "${4:-keyCompromise}"
  [[ "$rc" == 0 ]] ||
    kw_die "keyward revoke --config $1 --ca $2 --serial $3: exit $rc: $(kw_oneline "$out")"
}
