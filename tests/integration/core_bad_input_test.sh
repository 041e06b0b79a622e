#!/usr/bin/env bash
# shellcheck disable=SC2153 # kw_free_port and kw_start_* assign variables by name
# Hostile and broken input against a running keyward-responder. Each case must
# get a clear, protocol-correct answer (OCSP malformedRequest, or an HTTP 4xx)
# or a closed connection, never a hang; the responder keeps serving others and
# does not spin afterwards.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
kw_init core_bad_input
T="$KW_TMP"
HEADER_TIMEOUT_MS=1000
CLOSE_WAIT_S=6     # a silent or dribbling client must be closed by then
IDLE_CONNS=200
SPIN_LIMIT_TICKS=$((2 * $(getconf CLK_TCK)))  # 2 s of CPU over a 5 s idle period

kw_free_port REDIS_PORT
kw_free_port HTTP_PORT
kw_start_redis REDIS_PID "$REDIS_PORT"
mkdir -p "$T/pki"
CONFIG="$T/keyward.toml"
kw_write_config "$CONFIG" "$REDIS_PORT" "$HTTP_PORT" "$(kw_ca_toml_keyward demo "$T/pki")" \
  "header_timeout_ms = $HEADER_TIMEOUT_MS"
kw_ca_init "$CONFIG"
CA="$T/pki/demo-ca.pem"
kw_issue "$CONFIG" demo good good.example
kw_start_responder RESPONDER_PID "$CONFIG" "$HTTP_PORT"
BASE="http://127.0.0.1:$HTTP_PORT"
kw_ocsp_req "$CA" "$T/good.pem" "$T/good.req" || kw_die "openssl ocsp -reqout failed"

MALFORMED_HEX="3003 0a01 01"  # OCSPResponse { responseStatus malformedRequest }

# outcome_of CURL_RC HTTP_CODE BODY: one word for what the client saw:
# malformed, http-NNN, closed, hang, or other-NNN (an HTTP answer we did not expect).
outcome_of() {
  local rc="$1" code="$2" body="$3"
  case "$rc" in
    0) ;;
    28) echo hang; return ;;
    52 | 55 | 56) echo closed; return ;;
    *) echo "curl-error-$rc"; return ;;
  esac
  if [[ -s "$body" && "$(xxd -p "$body" | tr -d '\n')" == "${MALFORMED_HEX// /}" ]]; then
    echo malformed
  else
    echo "http-$code"
  fi
}

# post_case NAME FILE ACCEPTED...: POST FILE; pass when the outcome is one of ACCEPTED.
post_case() {
  local name="$1" file="$2"
  shift 2
  local rc=0 code outcome
  code="$(curl -sS --max-time 10 -o "$T/$name.body" -w '%{http_code}' \
    -H 'Content-Type: application/ocsp-request' --data-binary "@$file" "$BASE/" 2>/dev/null)" || rc=$?
  outcome="$(outcome_of "$rc" "$code" "$T/$name.body")"
  expect_outcome "$name" "$outcome" "$@"
}

expect_outcome() {
  local name="$1" outcome="$2" a
  shift 2
  for a in "$@"; do
    if [[ "$outcome" == "$a" ]]; then
      kw_pass "$name"
      kw_note "$name: $outcome"
      return
    fi
  done
  kw_fail "$name" "got $outcome, want one of: $*"
}

# --- bodies --------------------------------------------------------------------------
: >"$T/empty.der"
post_case empty_body "$T/empty.der" malformed http-400 http-411
head -c 300 /dev/urandom >"$T/garbage.der"
post_case garbage_body "$T/garbage.der" malformed http-400
len="$(stat -c %s "$T/good.req")"
head -c $((len - 5)) "$T/good.req" >"$T/truncated.der"
post_case truncated_der "$T/truncated.der" malformed http-400
{ cat "$T/good.req"; printf '\0\0'; } >"$T/trailing.der"
post_case trailing_bytes "$T/trailing.der" malformed http-400
# The outer SEQUENCE says it is longer than what follows.
{ printf '\x30\x82\xff\xff'; tail -c +3 "$T/good.req"; } >"$T/overlong.der"
post_case length_past_end "$T/overlong.der" malformed http-400
head -c $((1024 * 1024)) /dev/zero | tr '\0' 'A' >"$T/big.der"
post_case body_1mib "$T/big.der" http-413 malformed http-400 closed

# --- URLs ----------------------------------------------------------------------------
rc=0
code="$(curl -sS --max-time 10 -o "$T/badb64.body" -w '%{http_code}' "$BASE/%%%not-base64!!" 2>/dev/null)" || rc=$?
expect_outcome get_bad_base64 "$(outcome_of "$rc" "$code" "$T/badb64.body")" malformed http-400
long="$(head -c 65536 /dev/zero | tr '\0' 'A')"
rc=0
code="$(curl -sS --max-time 10 -o "$T/longurl.body" -w '%{http_code}' "$BASE/$long" 2>/dev/null)" || rc=$?
expect_outcome url_64kib "$(outcome_of "$rc" "$code" "$T/longurl.body")" http-414 http-431 http-400 closed
unset long

# --- raw sockets -----------------------------------------------------------------------
# closed_within FD SECONDS: read FD until the peer closes it; prints the
# milliseconds it took, or "open" when it was still open after SECONDS.
closed_within() {
  local fd="$1" secs="$2" start
  start="$(kw_now_ms)"
  if timeout "$secs" cat <&"$fd" >"$T/raw.$fd.out" 2>/dev/null; then
    echo $(($(kw_now_ms) - start))
  else
    echo open
  fi
}

# A client that connects and sends nothing.
exec {silent}<>"/dev/tcp/127.0.0.1/$HTTP_PORT"
took="$(closed_within "$silent" "$CLOSE_WAIT_S")"
exec {silent}<&-
if [[ "$took" == open ]]; then
  kw_fail silent_client_closed "still open after ${CLOSE_WAIT_S} s (header_timeout_ms = $HEADER_TIMEOUT_MS)"
else
  kw_pass silent_client_closed
  kw_note "silent client closed after ${took} ms"
fi

# A client that dribbles header bytes, one every 200 ms, and never finishes.
exec {dribble}<>"/dev/tcp/127.0.0.1/$HTTP_PORT"
dribble_bytes=$'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow-1: aaaaaaaa\r\nX-Slow-2: bbbbbbbb\r\nX-Slow-3: cccccccc\r\n'
(
  for ((i = 0; i < ${#dribble_bytes}; i++)); do
    printf '%s' "${dribble_bytes:i:1}" 2>/dev/null 1>&"$dribble" || exit 0
    sleep 0.2
  done
) &
DRIBBLE_PID=$!
KW_PIDS+=("$DRIBBLE_PID")
took="$(closed_within "$dribble" "$CLOSE_WAIT_S")"
kw_stop_pid "$DRIBBLE_PID"
kw_forget_pid "$DRIBBLE_PID"
exec {dribble}<&-
if [[ "$took" == open ]]; then
  kw_fail dribbling_client_closed "still open after ${CLOSE_WAIT_S} s of one byte every 200 ms (header_timeout_ms = $HEADER_TIMEOUT_MS)"
else
  kw_pass dribbling_client_closed
  kw_note "dribbling client closed after ${took} ms"
fi

# A TLS ClientHello on the plain HTTP port: HTTP 400 or a closed connection.
exec {tls}<>"/dev/tcp/127.0.0.1/$HTTP_PORT"
printf '\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03' >&"$tls"
head -c 160 /dev/urandom >&"$tls"
took="$(closed_within "$tls" "$CLOSE_WAIT_S")"
exec {tls}<&-
first="$(head -c 12 "$T/raw.$tls.out" 2>/dev/null | tr -d '\r\n' || true)"
if [[ "$took" == open ]]; then
  kw_fail tls_hello_on_http_port "connection still open after ${CLOSE_WAIT_S} s"
elif [[ -z "$first" || "$first" == "HTTP/1.1 400" || "$first" == "HTTP/1.0 400" ]]; then
  kw_pass tls_hello_on_http_port
  kw_note "tls_hello_on_http_port: ${first:-closed} after ${took} ms"
else
  kw_fail tls_hello_on_http_port "answered '$first'"
fi

# Many idle connections do not keep a normal client out.
fds=()
opened=0
for ((i = 0; i < IDLE_CONNS; i++)); do
  if exec {fd}<>"/dev/tcp/127.0.0.1/$HTTP_PORT"; then
    fds+=("$fd")
    opened=$((opened + 1))
  else
    break
  fi
done 2>/dev/null
code="$(kw_post_der "$BASE/" "$T/good.req" "$T/busy.resp")"
got="$(kw_resp_status "$T/busy.resp" "$CA" "$T/good.pem" "$CA")"
for fd in "${fds[@]}"; do exec {fd}<&-; done
if ((opened < IDLE_CONNS)); then
  kw_fail idle_connections_do_not_block "opened only $opened of $IDLE_CONNS connections"
elif [[ "$code" == 200 && "$got" == good ]]; then
  kw_pass idle_connections_do_not_block
else
  kw_fail idle_connections_do_not_block "with $IDLE_CONNS idle connections open: HTTP $code, status $got"
fi

# --- still serving, and not spinning -----------------------------------------------------
kw_ocsp_check still_answers_good good "$BASE/" "$CA" "$T/good.pem" "$CA"
kw_check healthz_after_abuse curl -fsS --max-time 5 -o /dev/null "$BASE/healthz"
if kw_alive "$RESPONDER_PID"; then
  before="$(kw_cpu_ticks "$RESPONDER_PID")"
  sleep 5
  after="$(kw_cpu_ticks "$RESPONDER_PID")"
  used=$((after - before))
  if ((used < SPIN_LIMIT_TICKS)); then
    kw_pass no_spin_when_idle
    kw_note "responder used $used clock ticks of CPU over 5 s idle"
  else
    kw_fail no_spin_when_idle "responder used $used clock ticks of CPU over 5 s idle (limit $SPIN_LIMIT_TICKS)"
  fi
  kw_pass responder_still_running
else
  kw_fail responder_still_running "keyward-responder exited"
fi
kw_finish
