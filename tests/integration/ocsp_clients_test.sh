#!/usr/bin/env bash
# shellcheck disable=SC2153 # kw_free_port and kw_start_* assign variables by name
# Real OCSP clients against keyward-responder: openssl ocsp (POST, SHA-1 and
# SHA-256 CertIDs), GnuTLS ocsptool, and the RFC 6960 A.1 / RFC 5019 GET form,
# each for a good, a revoked and a foreign-issuer certificate. Also HTTP/1.0
# without Host (ISE, ClearPass), keep-alive and pipelining.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
kw_init ocsp_clients
T="$KW_TMP"

kw_free_port REDIS_PORT
kw_free_port HTTP_PORT
kw_start_redis REDIS_PID "$REDIS_PORT"
mkdir -p "$T/pki"
CONFIG="$T/keyward.toml"
kw_write_config "$CONFIG" "$REDIS_PORT" "$HTTP_PORT" "$(kw_ca_toml_keyward demo "$T/pki")"
kw_ca_init "$CONFIG"
CA="$T/pki/demo-ca.pem"

kw_issue "$CONFIG" demo good good.example
kw_issue "$CONFIG" demo revoked revoked.example
kw_revoke "$CONFIG" demo "$(kw_serial "$T/revoked.pem")" keyCompromise
kw_foreign_ca
FOREIGN_CA="$T/foreign-ca.pem"

kw_start_responder RESPONDER_PID "$CONFIG" "$HTTP_PORT"
BASE="http://127.0.0.1:$HTTP_PORT"

# case NAME ISSUER CERT TRUST EXPECT
CASES=(
  "good $CA $T/good.pem $CA good"
  "revoked $CA $T/revoked.pem $CA revoked"
  "foreign $FOREIGN_CA $T/foreign-leaf.pem $FOREIGN_CA unauthorized"
)

# --- openssl ocsp, POST -------------------------------------------------------
for c in "${CASES[@]}"; do
  read -r name issuer cert trust expect <<<"$c"
  kw_ocsp_check "openssl_post_sha1_$name" "$expect" "$BASE/" "$issuer" "$cert" "$trust"
  kw_ocsp_check "openssl_post_sha256_$name" "$expect" "$BASE/" "$issuer" "$cert" "$trust" -sha256
done
# POST is accepted at any path below /.
kw_ocsp_check openssl_post_subpath_good good "$BASE/ocsp/demo" "$CA" "$T/good.pem" "$CA"

# --- GnuTLS ocsptool ------------------------------------------------------------
# ocsptool 3.7 takes the URL as --ask=URL; --no-nonce negates --nonce.
ocsptool_check() {
  local name="$1" issuer="$2" cert="$3" trust="$4" expect="$5" out
  out="$(timeout 20 ocsptool --ask="$BASE/" --no-nonce --load-issuer "$issuer" \
    --load-cert "$cert" --load-trust "$trust" 2>&1)" || true
  case "$expect" in
    good | revoked)
      if ! grep -q 'Verifying OCSP Response: Success' <<<"$out"; then
        kw_fail "$name" "ocsptool did not verify the response: $(kw_oneline "$out")"
      elif ! grep -q "Certificate Status: $expect" <<<"$out"; then
        kw_fail "$name" "want Certificate Status: $expect: $(kw_oneline "$out")"
      else
        kw_pass "$name"
      fi
      ;;
    *)
      if grep -qi "Response Status: $expect" <<<"$out"; then
        kw_pass "$name"
      else
        kw_fail "$name" "want Response Status: $expect: $(kw_oneline "$out")"
      fi
      ;;
  esac
}
if command -v ocsptool >/dev/null; then
  for c in "${CASES[@]}"; do
    read -r name issuer cert trust expect <<<"$c"
    ocsptool_check "ocsptool_$name" "$issuer" "$cert" "$trust" "$expect"
  done
else
  kw_fail ocsptool "ocsptool not installed (package gnutls-bin)"
fi

# --- HTTP GET /{url-encoded base64} (RFC 6960 A.1) ------------------------------
# http_date_s TEXT: seconds since the epoch of an HTTP date, or empty.
http_date_s() { date -u -d "$1" +%s 2>/dev/null || true; }

# header VALUE of NAME in a curl -D file (case-insensitive, CR stripped).
header() { grep -i -m1 "^$2:" "$1" | sed -e 's/^[^:]*:[[:space:]]*//' -e 's/\r$//' || true; }

check_cache_headers() {
  local name="$1" hdr="$2" problems=() now cc lm ex etag ct lm_s ex_s age
  now="$(date -u +%s)"
  cc="$(header "$hdr" Cache-Control)"
  lm="$(header "$hdr" Last-Modified)"
  ex="$(header "$hdr" Expires)"
  etag="$(header "$hdr" ETag)"
  ct="$(header "$hdr" Content-Type)"
  [[ "$ct" == application/ocsp-response* ]] || problems+=("Content-Type '$ct'")
  local word norm
  norm=",$(tr -d ' ' <<<"${cc,,}"),"
  for word in public no-transform must-revalidate; do
    [[ "$norm" == *",$word,"* ]] || problems+=("Cache-Control lacks $word ('$cc')")
  done
  if [[ "$cc" =~ max-age=([0-9]+) ]]; then
    age="${BASH_REMATCH[1]}"
    ((age > 0)) || problems+=("max-age is 0")
  else
    problems+=("Cache-Control lacks max-age ('$cc')")
  fi
  lm_s="$(http_date_s "$lm")"
  ex_s="$(http_date_s "$ex")"
  [[ -n "$lm" && -n "$lm_s" ]] || problems+=("Last-Modified missing or unparseable ('$lm')")
  [[ -n "$ex" && -n "$ex_s" ]] || problems+=("Expires missing or unparseable ('$ex')")
  [[ -n "$etag" ]] || problems+=("ETag missing")
  if [[ -n "$lm_s" ]] && ((lm_s > now + 60)); then problems+=("Last-Modified in the future"); fi
  if [[ -n "$ex_s" ]] && ((ex_s <= now)); then problems+=("Expires in the past"); fi
  # RFC 5019 6.2: max-age must not reach past nextUpdate.
  if [[ -n "$ex_s" && -n "${age:-}" ]] && ((age > ex_s - now + 5)); then
    problems+=("max-age $age outlives Expires ($((ex_s - now)) s from now)")
  fi
  if ((${#problems[@]} == 0)); then
    kw_pass "$name"
  else
    kw_fail "$name" "$(IFS=';'; echo "${problems[*]}")"
  fi
}

# get_check NAME ISSUER CERT TRUST EXPECT ENCODING [openssl ocsp options]
get_check() {
  local name="$1" issuer="$2" cert="$3" trust="$4" expect="$5" encoding="$6"
  shift 6
  local req="$T/get-$name.req" resp="$T/get-$name.resp" hdr="$T/get-$name.hdr" path code
  kw_ocsp_req "$issuer" "$cert" "$req" "$@" || { kw_fail "$name" "openssl ocsp -reqout failed"; return; }
  if [[ "$encoding" == raw ]]; then
    path="$(base64 -w0 "$req" | sed -e 's/=/%3D/g')"  # raw + and /, as some clients send
  else
    path="$(kw_b64url "$req")"
  fi
  code="$(curl -sS --max-time 10 -D "$hdr" -o "$resp" -w '%{http_code}' "$BASE/$path" 2>&1)" || true
  if [[ "$code" != 200 ]]; then
    kw_fail "$name" "GET /$path: HTTP $code"
    return
  fi
  kw_ocsp_respin_check "$name" "$expect" "$resp" "$issuer" "$cert" "$trust" "$@"
  if [[ "$expect" == good && "$encoding" == pct ]]; then
    check_cache_headers "${name}_rfc5019_headers" "$hdr"
  fi
}
for c in "${CASES[@]}"; do
  read -r name issuer cert trust expect <<<"$c"
  get_check "get_$name" "$issuer" "$cert" "$trust" "$expect" pct
done
get_check get_raw_base64_good "$CA" "$T/good.pem" "$CA" good raw
get_check get_sha256_good "$CA" "$T/good.pem" "$CA" good pct -sha256

# --- HTTP/1.0 without Host (ISE, ClearPass) ------------------------------------------
REQ="$T/good.req"
kw_ocsp_req "$CA" "$T/good.pem" "$REQ" || kw_die "openssl ocsp -reqout failed"
code="$(curl -sS --http1.0 -H 'Host:' --max-time 10 -o "$T/h10.resp" -w '%{http_code}' \
  -H 'Content-Type: application/ocsp-request' --data-binary "@$REQ" "$BASE/" 2>&1)" || true
if [[ "$code" == 200 ]]; then
  kw_ocsp_respin_check http10_no_host_good good "$T/h10.resp" "$CA" "$T/good.pem" "$CA"
else
  kw_fail http10_no_host_good "HTTP/1.0 POST without Host: HTTP $code"
fi

# --- keep-alive: two requests, one connection ------------------------------------------
out="$(curl -sS --max-time 10 -H 'Content-Type: application/ocsp-request' --data-binary "@$REQ" \
  -w '%{http_code} %{num_connects}\n' -o "$T/ka1.resp" "$BASE/" -o "$T/ka2.resp" "$BASE/" 2>&1)" || true
if [[ "$(tr '\n' ' ' <<<"$out")" == "200 1 200 0 " ]]; then
  kw_ocsp_respin_check keepalive_second_answer good "$T/ka2.resp" "$CA" "$T/good.pem" "$CA"
else
  kw_fail keepalive_second_answer "want '200 1 200 0' (status, new connections), got '$(kw_oneline "$out")'"
fi

# --- pipelining: two requests in one write ---------------------------------------------
pipeline() {
  local len
  len="$(stat -c %s "$REQ")"
  exec 3<>"/dev/tcp/127.0.0.1/$HTTP_PORT"
  {
    printf 'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/ocsp-request\r\nContent-Length: %d\r\n\r\n' "$len"
    cat "$REQ"
    printf 'POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/ocsp-request\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' "$len"
    cat "$REQ"
  } >&3
  timeout 10 cat <&3 >"$T/pipeline.out" || echo "timeout"
  exec 3<&-
}
pipe_rc="$(pipeline 2>&1)" || true
n="$(grep -a -o 'HTTP/1\.1 200' "$T/pipeline.out" | wc -l)"
if [[ "$pipe_rc" == *timeout* ]]; then
  kw_fail pipelining "connection not closed after 'Connection: close' (10 s); saw $n answers"
elif [[ "$n" == 2 ]]; then
  kw_pass pipelining
else
  kw_fail pipelining "want 2 'HTTP/1.1 200' answers, got $n"
fi

# --- /healthz and /metrics --------------------------------------------------------------
kw_check healthz curl -fsS --max-time 5 -o /dev/null "$BASE/healthz"
metrics="$(curl -fsS --max-time 5 "$BASE/metrics" 2>&1)" || true
if grep -qE '^# (TYPE|HELP) ' <<<"$metrics" && grep -qE '^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [0-9.eE+-]+' <<<"$metrics"; then
  kw_pass metrics_prometheus_text
else
  kw_fail metrics_prometheus_text "GET /metrics is not Prometheus text: $(kw_oneline "$metrics")"
fi

kw_check_alive responder_still_running "$RESPONDER_PID" "keyward-responder exited"
kw_finish
