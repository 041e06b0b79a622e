#!/usr/bin/env bash
# FreeRADIUS EAP-TLS logins checked over OCSP against keyward-responder.
#
# Starts redis-server, makes a Keyward CA (`keyward ca init`), issues the
# RADIUS server certificate and two client certificates, revokes one, starts
# keyward-responder and a private FreeRADIUS 3.2, and logs in with eapol_test:
#   good certificate -> Access-Accept, revoked certificate -> Access-Reject,
# once with use_nonce = yes (FreeRADIUS's default: the answer must echo the
# nonce, so it is signed live) and once with use_nonce = no (the precomputed
# hit path). Then it revokes the good certificate and checks that the very
# next login is rejected.
#
# Everything listens on 127.0.0.1 on free ports; every process is stopped by
# PID on exit. Prints "PASS name" / "FAIL name: reason"; exits non-zero on any
# failure.
#
# Environment:
#   KEYWARD_BIN          directory with keyward and keyward-responder
#                        (default: <repo>/build/bin)
#   KEYWARD_RESPONDER    "keyward" (default) or "standin": `openssl ocsp
#                        -index` behind a loopback HTTP server
#                        (freeradius/standin_responder.py) as the responder,
#                        to work on the harness
#                        while keyward-responder is not ready. In standin
#                        mode certificates come from openssl when `keyward`
#                        cannot make them, and revocation edits index.txt.
#   KEEP_TMP=1           keep the temporary directory (kept on failure too)
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null || (cd "$HERE/../.." && pwd))
KEYWARD_BIN=${KEYWARD_BIN:-$ROOT/build/bin}
MODE=${KEYWARD_RESPONDER:-keyward}
TEMPLATES=$HERE/freeradius
SECRET=testing123-keyward
WAIT_S=20  # bound on every wait for a process to come up

FAILURES=0
PIDS=()
TMP=$(mktemp -d "${TMPDIR:-/tmp}/keyward-freeradius.XXXXXX")
CERTS=$TMP/pki

pass() { echo "PASS $1"; }
fail() {
  echo "FAIL $1: $2"
  FAILURES=$((FAILURES + 1))
}
note() { echo "# $*"; }
# fatal: a setup step failed, so nothing after it can run.
fatal() {
  fail "$1" "$2"
  exit 1
}

# StopPid: TERM, then KILL after a bounded wait; only processes we started.
stop_pid() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

cleanup() {
  local rc=$? i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}"; done
  if [[ $FAILURES -gt 0 || $rc -ne 0 || ${KEEP_TMP:-0} == 1 ]]; then
    note "logs and configuration kept in $TMP"
  else
    rm -rf "$TMP"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_bg NAME CMD...: run CMD in the background with output in NAME.log;
# the PID is left in $LAST_PID and remembered for cleanup.
start_bg() {
  local name=$1
  shift
  "$@" >"$TMP/$name.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

forget_pid() {
  local pid=$1 i
  for i in "${!PIDS[@]}"; do [[ ${PIDS[i]} == "$pid" ]] && unset 'PIDS[i]'; done
  PIDS=("${PIDS[@]}")
}

# free_port tcp|udp: a loopback port that was free a moment ago.
free_port() {
  python3 - "$1" <<'EOF'
import socket, sys
kind = socket.SOCK_STREAM if sys.argv[1] == "tcp" else socket.SOCK_DGRAM
s = socket.socket(socket.AF_INET, kind)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
EOF
}

# wait_for PID SECONDS CMD...: poll CMD until it succeeds, the process dies
# or the bound passes.
wait_for() {
  local pid=$1 bound=$2 deadline
  shift 2
  deadline=$((SECONDS + bound))
  while ((SECONDS < deadline)); do
    "$@" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

tcp_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# answers CMD...: the binary exists and is a real build (answers --help).
answers() { [[ -x $1 ]] && "$@" --help >/dev/null 2>&1; }

for tool in redis-server redis-cli openssl freeradius eapol_test python3 curl; do
  command -v "$tool" >/dev/null || fatal setup "$tool is not installed"
done
case $MODE in
  keyward | standin) ;;
  *) fatal setup "KEYWARD_RESPONDER must be keyward or standin, not '$MODE'" ;;
esac
KEYWARD=$KEYWARD_BIN/keyward
RESPONDER=$KEYWARD_BIN/keyward-responder
if [[ $MODE == keyward ]]; then
  answers "$RESPONDER" || fatal setup "$RESPONDER is not built (no --help)"
  answers "$KEYWARD" || fatal setup "$KEYWARD is not built (no --help)"
else
  note "stand-in responder: openssl ocsp -index (harness development only)"
fi
mkdir -p "$CERTS" "$TMP/state/log" "$TMP/state/run" "$TMP/state/db"

# --- redis ------------------------------------------------------------------
REDIS_PORT=$(free_port tcp)
start_bg redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" \
  --appendonly no --dir "$TMP" --protected-mode yes
REDIS_PID=$LAST_PID
wait_for "$REDIS_PID" "$WAIT_S" redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping ||
  fatal redis_start "redis-server did not answer PING (see $TMP/redis.log)"
pass redis_start

# --- keyward configuration --------------------------------------------------
OCSP_PORT=$(free_port tcp)
AUTH_PORT=$(free_port udp)
CONFIG=$TMP/keyward.toml
cat >"$CONFIG" <<EOF
[store]
redis = "redis://127.0.0.1:$REDIS_PORT/0"

[[ca]]
name = "radius"
cert = "pki/ca.pem"
key = "pki/ca.key"
ocsp_signer_cert = "pki/ocsp.pem"
ocsp_signer_key = "pki/ocsp.key"
subject = "CN=Keyward RADIUS Test CA"

[responder]
listen = ["127.0.0.1:$OCSP_PORT"]
workers = 1
EOF

# --- CA -----------------------------------------------------------------------
cat >"$TMP/ext.cnf" <<'EOF'
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
[ocsp]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
noCheck = ignored
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:radius.keyward.test
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
random_serial() { echo "0x$(openssl rand -hex 16 | sed 's/^[89a-f]/7/')"; }

# openssl_sign CSR OUT SECTION: sign with the CA files, as `keyward issue`
# would when it is not built yet.
openssl_sign() {
  openssl x509 -req -in "$1" -out "$2" -CA "$CERTS/ca.pem" -CAkey "$CERTS/ca.key" \
    -set_serial "$(random_serial)" -days 30 -sha256 \
    -extfile "$TMP/ext.cnf" -extensions "$3" 2>"$TMP/openssl.err"
}

if answers "$KEYWARD" ca init; then
  "$KEYWARD" ca init --config "$CONFIG" >"$TMP/ca-init.log" 2>&1 ||
    fatal ca_init "keyward ca init failed: $(tail -n 3 "$TMP/ca-init.log")"
  for f in ca.pem ca.key ocsp.pem ocsp.key; do
    [[ -s $CERTS/$f ]] || fatal ca_init "keyward ca init made no pki/$f"
  done
  openssl x509 -in "$CERTS/ocsp.pem" -noout -ext extendedKeyUsage 2>/dev/null |
    grep -q 'OCSP Signing' || fatal ca_init "pki/ocsp.pem lacks id-kp-OCSPSigning"
  pass ca_init
elif [[ $MODE == standin ]]; then
  note "keyward ca init is not built: CA and OCSP signer made with openssl"
  if ! {
    new_key "$CERTS/ca.key" && new_key "$CERTS/ocsp.key" &&
      openssl req -new -x509 -key "$CERTS/ca.key" -out "$CERTS/ca.pem" -days 365 -sha256 \
        -subj "/CN=Keyward RADIUS Test CA" -config "$TMP/ext.cnf" -extensions ca \
        2>"$TMP/openssl.err" &&
      openssl req -new -key "$CERTS/ocsp.key" -subj "/CN=Keyward RADIUS Test OCSP" \
        -out "$TMP/ocsp.csr" 2>"$TMP/openssl.err" &&
      openssl_sign "$TMP/ocsp.csr" "$CERTS/ocsp.pem" ocsp
  }; then
    fatal ca_init "openssl CA: $(cat "$TMP/openssl.err")"
  fi
  pass ca_init
else
  fatal ca_init "keyward ca init is not built"
fi

# --- certificates -------------------------------------------------------------
# issue NAME CN SECTION: key and CSR made here; the certificate from
# `keyward issue` when it is built (with --eku when it has one), else openssl.
touch "$CERTS/index.txt"
issue() {
  local name=$1 cn=$2 section=$3 eku
  new_key "$CERTS/$name.key" &&
    openssl req -new -key "$CERTS/$name.key" -subj "/CN=$cn" -out "$TMP/$name.csr" \
      2>"$TMP/openssl.err" || return 1
  eku=clientAuth
  [[ $section == server ]] && eku=serverAuth
  if answers "$KEYWARD" issue &&
    { [[ $eku == clientAuth ]] || "$KEYWARD" issue --help 2>&1 | grep -q -- --eku; }; then
    local extra=()
    "$KEYWARD" issue --help 2>&1 | grep -q -- --eku && extra=(--eku "$eku")
    "$KEYWARD" issue --config "$CONFIG" --ca radius --csr "$TMP/$name.csr" \
      --out "$CERTS/$name.pem" --days 30 "${extra[@]}" >"$TMP/issue-$name.log" 2>&1 ||
      {
        cat "$TMP/issue-$name.log" >"$TMP/openssl.err"
        return 1
      }
  else
    note "$name: keyward issue cannot make a $eku certificate yet; signed with openssl"
    openssl_sign "$TMP/$name.csr" "$CERTS/$name.pem" "$section" || return 1
  fi
  # The stand-in responder reads an OpenSSL CA index.
  local serial end subject
  serial=$(openssl x509 -in "$CERTS/$name.pem" -noout -serial | cut -d= -f2)
  end=$(date -u -d "$(openssl x509 -in "$CERTS/$name.pem" -noout -enddate | cut -d= -f2)" +%y%m%d%H%M%SZ)
  subject=$(openssl x509 -in "$CERTS/$name.pem" -noout -subject -nameopt compat | sed 's/^subject=//')
  printf 'V\t%s\t\t%s\tunknown\t%s\n' "$end" "$serial" "$subject" >>"$CERTS/index.txt"
}
serial_of() { openssl x509 -in "$CERTS/$1.pem" -noout -serial | cut -d= -f2; }

issue radius-server "radius.keyward.test" server || fatal issue "radius-server: $(cat "$TMP/openssl.err")"
issue good "good.client.keyward.test" client || fatal issue "good: $(cat "$TMP/openssl.err")"
issue revoked "revoked.client.keyward.test" client || fatal issue "revoked: $(cat "$TMP/openssl.err")"
for c in good revoked; do
  openssl verify -CAfile "$CERTS/ca.pem" -purpose sslclient "$CERTS/$c.pem" >/dev/null 2>&1 ||
    fatal issue "$c.pem does not verify as a TLS client certificate against ca.pem"
done
openssl verify -CAfile "$CERTS/ca.pem" -purpose sslserver "$CERTS/radius-server.pem" >/dev/null 2>&1 ||
  fatal issue "radius-server.pem does not verify as a TLS server certificate against ca.pem"
pass issue

# revoke NAME: `keyward revoke` (when built); the stand-in also needs it
# marked revoked in index.txt.
revoke() {
  local serial
  serial=$(serial_of "$1")
  if answers "$KEYWARD" revoke; then
    "$KEYWARD" revoke --config "$CONFIG" --ca radius --serial "$serial" \
      --reason keyCompromise >"$TMP/revoke-$1.log" 2>&1 || return 1
  fi
  if [[ $MODE == standin ]]; then
    local now
    now=$(date -u +%y%m%d%H%M%SZ)
    sed -i "s/^V\t\([0-9Z]*\)\t\t$serial\t/R\t\1\t$now,keyCompromise\t$serial\t/" "$CERTS/index.txt" &&
      grep -q "^R.*	$serial	" "$CERTS/index.txt"
  fi
}

revoke revoked || fatal revoke "revoked: $(cat "$TMP/revoke-revoked.log" 2>/dev/null)"
pass revoke

# --- responder ----------------------------------------------------------------
if [[ $MODE == keyward ]]; then
  start_bg responder "$RESPONDER" --config "$CONFIG"
  RESPONDER_PID=$LAST_PID
  wait_for "$RESPONDER_PID" "$WAIT_S" curl -fsS "http://127.0.0.1:$OCSP_PORT/healthz" ||
    fatal responder_start "keyward-responder did not serve /healthz: $(tail -n 5 "$TMP/responder.log")"
else
  start_bg responder python3 "$TEMPLATES/standin_responder.py" "$OCSP_PORT" \
    "$CERTS/index.txt" "$CERTS/ca.pem" "$CERTS/ocsp.pem" "$CERTS/ocsp.key"
  RESPONDER_PID=$LAST_PID
  wait_for "$RESPONDER_PID" "$WAIT_S" tcp_open "$OCSP_PORT" ||
    fatal responder_start "stand-in responder did not listen: $(tail -n 5 "$TMP/responder.log")"
fi
pass responder_start

# ocsp_status NAME [openssl ocsp flags]: "good"/"revoked"/... as openssl sees it
# after verifying the response against ca.pem.
ocsp_status() {
  local name=$1 out
  shift
  out=$(openssl ocsp -issuer "$CERTS/ca.pem" -cert "$CERTS/$name.pem" \
    -url "http://127.0.0.1:$OCSP_PORT/" -CAfile "$CERTS/ca.pem" -timeout 10 "$@" 2>&1)
  grep -q '^Response verify OK' <<<"$out" || {
    echo "unverified: $(tr '\n' ' ' <<<"$out")"
    return
  }
  # openssl only warns when a nonce is missing; FreeRADIUS rejects.
  grep -q 'no nonce in response' <<<"$out" && {
    echo "nonce not echoed"
    return
  }
  sed -n "s|^$CERTS/$name.pem: ||p" <<<"$out" | head -n 1
}

# Before FreeRADIUS is involved: the responder answers what the logins need.
precheck_ok=1
for args in "good good" "revoked revoked" "good good -no_nonce" "revoked revoked -no_nonce"; do
  read -r name want flag <<<"$args"
  got=$(ocsp_status "$name" ${flag:+"$flag"})
  [[ $got == "$want" ]] || {
    fail ocsp_precheck "$name ${flag:-with nonce}: want $want, got '$got'"
    precheck_ok=0
  }
done
[[ $precheck_ok == 1 ]] && pass ocsp_precheck

# --- FreeRADIUS ---------------------------------------------------------------
RADDIR=$TMP/raddb
RADIUS_PID=
render() {
  sed -e "s|@RADDIR@|$RADDIR|g" -e "s|@STATEDIR@|$TMP/state|g" -e "s|@CERTDIR@|$CERTS|g" \
    -e "s|@SECRET@|$SECRET|g" -e "s|@AUTH_PORT@|$AUTH_PORT|g" -e "s|@OCSP_PORT@|$OCSP_PORT|g" \
    -e "s|@USE_NONCE@|$USE_NONCE|g" -e "s|@OCSP_TIMEOUT@|5|g" "$1" >"$2"
}

# start_radius yes|no: a fresh raddir with that use_nonce, then freeradius -X
# (foreground, single-threaded, log on stdout).
start_radius() {
  USE_NONCE=$1
  [[ -n $RADIUS_PID ]] && {
    stop_pid "$RADIUS_PID"
    forget_pid "$RADIUS_PID"
  }
  rm -rf "$RADDIR"
  mkdir -p "$RADDIR/mods-enabled" "$RADDIR/sites-enabled" "$RADDIR/mods-config"
  render "$TEMPLATES/radiusd.conf.in" "$RADDIR/radiusd.conf"
  render "$TEMPLATES/clients.conf.in" "$RADDIR/clients.conf"
  render "$TEMPLATES/sites-enabled/keyward.in" "$RADDIR/sites-enabled/keyward"
  render "$TEMPLATES/mods-enabled/eap.in" "$RADDIR/mods-enabled/eap"
  : >"$RADDIR/dictionary"
  RADIUS_LOG=$TMP/radius-nonce-$USE_NONCE.log
  freeradius -X -d "$RADDIR" -n radiusd >"$RADIUS_LOG" 2>&1 &
  RADIUS_PID=$!
  PIDS+=("$RADIUS_PID")
  wait_for "$RADIUS_PID" "$WAIT_S" grep -q 'Ready to process requests' "$RADIUS_LOG"
}

# login NAME: one eapol_test EAP-TLS login with NAME's certificate. Leaves
# eapol_test's exit code in LOGIN_RC, its output in LOGIN_OUT and the part of
# the FreeRADIUS log it caused in LOGIN_RADLOG.
LOGIN_N=0
login() {
  local name=$1 conf before
  LOGIN_N=$((LOGIN_N + 1))
  conf=$TMP/eapol-$name.conf
  sed -e "s|@CERTDIR@|$CERTS|g" -e "s|@CLIENT@|$name|g" -e "s|@IDENTITY@|$name|g" \
    "$TEMPLATES/eapol_test.conf.in" >"$conf"
  before=$(stat -c %s "$RADIUS_LOG")
  LOGIN_OUT=$TMP/login-$LOGIN_N-$name.log
  timeout 60 eapol_test -c "$conf" -a 127.0.0.1 -p "$AUTH_PORT" -s "$SECRET" -t 20 \
    >"$LOGIN_OUT" 2>&1
  LOGIN_RC=$?
  LOGIN_RADLOG=$TMP/login-$LOGIN_N-$name.radius.log
  tail -c +"$((before + 1))" "$RADIUS_LOG" >"$LOGIN_RADLOG"
}

# radius_why: the FreeRADIUS line that explains a login's outcome, errors first.
radius_why() {
  { grep -E 'ERROR' "$LOGIN_RADLOG" || grep -E 'ocsp: ' "$LOGIN_RADLOG"; } |
    head -n 2 | sed 's/^([0-9]*) *//' | tr '\n' ' ' | head -c 300
}

# expect_accept TEST NAME: Access-Accept after an OCSP "good".
expect_accept() {
  login "$2"
  if [[ $LOGIN_RC -eq 0 ]] && grep -q '^SUCCESS' "$LOGIN_OUT" &&
    grep -q 'ocsp: Cert status: good' "$LOGIN_RADLOG"; then
    pass "$1"
  else
    local why
    why=$(radius_why)
    fail "$1" "eapol_test exit $LOGIN_RC, want SUCCESS; freeradius: ${why:-no OCSP line} (see $LOGIN_OUT)"
  fi
}

# expect_reject TEST NAME: Access-Reject because OCSP said revoked (a reject
# for any other reason, such as an unreachable responder, does not count).
expect_reject() {
  login "$2"
  if [[ $LOGIN_RC -ne 0 ]] && grep -q 'Access-Reject' "$LOGIN_OUT" &&
    grep -q 'ocsp: Cert status: revoked' "$LOGIN_RADLOG"; then
    pass "$1"
  else
    local why
    why=$(radius_why)
    fail "$1" "eapol_test exit $LOGIN_RC, want Access-Reject after OCSP revoked; freeradius: ${why:-no OCSP line} (see $LOGIN_OUT)"
  fi
}

# live_signatures: keyward-responder's live-signature counter (empty if the
# metric is missing).
live_signatures() {
  curl -fsS --max-time 10 "http://127.0.0.1:$OCSP_PORT/metrics" |
    awk '$1 == "keyward_live_signatures_total" { print $2 }'
}

for nonce in yes no; do
  mark=$(wc -l <"$TMP/responder.log")
  [[ $MODE == keyward ]] && live_before=$(live_signatures)
  if start_radius "$nonce"; then
    pass "radius_start_nonce_$nonce"
  else
    fail "radius_start_nonce_$nonce" "freeradius did not come up: $(grep -m 3 -iE 'error|fail' "$RADIUS_LOG" | tr '\n' ' ')"
    continue
  fi
  expect_accept "nonce_${nonce}_good_accept" good
  if [[ $nonce == yes ]] && grep -q 'wrong nonce' "$LOGIN_RADLOG"; then
    fail nonce_yes_echoed "FreeRADIUS saw a wrong nonce"
  fi
  expect_reject "nonce_${nonce}_revoked_reject" revoked
  if [[ $MODE == keyward ]]; then
    # Both logins of this round must have been signed live exactly when they
    # carried a nonce; without one they are served precomputed.
    live_after=$(live_signatures)
    want=0
    [[ $nonce == yes ]] && want=2
    if [[ -z $live_before || -z $live_after ]]; then
      fail "nonce_${nonce}_live_signatures" "no keyward_live_signatures_total in /metrics"
    elif [[ $((live_after - live_before)) -eq $want ]]; then
      pass "nonce_${nonce}_live_signatures"
    else
      fail "nonce_${nonce}_live_signatures" "want $want live signatures for 2 logins, counter went $live_before -> $live_after"
    fi
  else
    # The stand-in logs whether each request carried a nonce: both logins of
    # this round must have sent one exactly when use_nonce = yes.
    other=yes
    [[ $nonce == yes ]] && other=no
    phase=$(tail -n +"$((mark + 1))" "$TMP/responder.log")
    if [[ $(grep -c "request nonce=$nonce" <<<"$phase") -eq 2 ]] &&
      ! grep -q "request nonce=$other" <<<"$phase"; then
      pass "standin_saw_nonce_$nonce"
    else
      fail "standin_saw_nonce_$nonce" "requests seen: $(grep -o 'nonce=[a-z]*' <<<"$phase" | tr '\n' ' ')"
    fi
  fi
done

# Revocation reaches the next login: FreeRADIUS 3.2 does not cache OCSP
# answers, so the login right after `keyward revoke` returns asks again.
if start_radius yes; then
  expect_accept revoke_live_before good
  if revoke good; then
    expect_reject revoke_live_next_login_rejected good
  else
    fail revoke_live_next_login_rejected "keyward revoke failed: $(cat "$TMP/revoke-good.log" 2>/dev/null)"
  fi
else
  fail revoke_live_next_login_rejected "freeradius did not come up"
fi

if [[ $FAILURES -gt 0 ]]; then
  echo "freeradius_test: $FAILURES failure(s)"
  exit 1
fi
echo "freeradius_test: all passed"
