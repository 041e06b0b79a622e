#!/usr/bin/env bash
# shellcheck disable=SC2153 # kw_free_port and kw_start_* assign variables by name
# Live signing against keyward-responder with real clients: openssl ocsp with
# its default nonce (SHA-1 and SHA-256 CertIDs), a two-certificate request,
# GnuTLS ocsptool --nonce; nonce edge cases (0, 1, 32, 33 octets, a nonce that
# is not an OCTET STRING) built byte by byte; unknown serials; and the signer
# pool under overload (one RSA signer thread, a tiny queue) while the cached
# hit path keeps answering.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
kw_init ocsp_live_signing
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
kw_start_responder RESPONDER_PID "$CONFIG" "$HTTP_PORT"
URL="http://127.0.0.1:$HTTP_PORT/"

# nonce_check NAME EXPECT OUTPUT CERT: a verified answer, the right status and
# no nonce warning from openssl (it compares request and response nonces).
nonce_check() {
  local name="$1" expect="$2" out="$3" cert="$4"
  if grep -qiE 'nonce' <<<"$out"; then
    kw_fail "$name" "nonce problem: $(kw_oneline "$out")"
  else
    kw_ocsp_expect "$name" "$expect" "$out" "$cert"
  fi
}

# --- openssl ocsp with its default nonce ------------------------------------
for digest in "" -sha256; do
  for c in good revoked; do
    # shellcheck disable=SC2086 # $digest is empty or one option
    out="$(timeout 15 openssl ocsp $digest -issuer "$CA" -cert "$T/$c.pem" -url "$URL" \
      -CAfile "$CA" -timeout 10 2>&1)" || true
    nonce_check "openssl_nonce${digest}_$c" "$c" "$out" "$T/$c.pem"
  done
done

# --- several certificates in one request -----------------------------------
out="$(timeout 15 openssl ocsp -issuer "$CA" -cert "$T/good.pem" -cert "$T/revoked.pem" \
  -url "$URL" -CAfile "$CA" -timeout 10 2>&1)" || true
if grep -q "^Response verify OK" <<<"$out" && grep -q "$T/good.pem: good" <<<"$out" &&
  grep -q "$T/revoked.pem: revoked" <<<"$out" && ! grep -qi nonce <<<"$out"; then
  kw_pass two_cert_ids
else
  kw_fail two_cert_ids "$(kw_oneline "$out")"
fi

# --- SHA-384 and SHA-512 CertIDs (no precomputed variant) -------------------
for digest in -sha384 -sha512; do
  out="$(timeout 15 openssl ocsp "$digest" -issuer "$CA" -cert "$T/good.pem" -url "$URL" \
    -CAfile "$CA" -timeout 10 2>&1)" || true
  nonce_check "openssl${digest}_good" good "$out" "$T/good.pem"
done

# --- GnuTLS ocsptool with a nonce ---------------------------------------------
for c in good revoked; do
  out="$(timeout 15 ocsptool --ask="$URL" --load-issuer "$CA" --load-cert "$T/$c.pem" \
    --load-trust "$CA" --nonce 2>&1)" || true
  if grep -q "Verifying OCSP Response: Success" <<<"$out" &&
    grep -qi "Certificate Status: $c" <<<"$out" && ! grep -qi "nonce.*mismatch\|nonce.*fail" <<<"$out"; then
    kw_pass "ocsptool_nonce_$c"
  else
    kw_fail "ocsptool_nonce_$c" "$(kw_oneline "$out")"
  fi
done

# --- nonce edge cases, built byte by byte ------------------------------------
# der_len N: the DER length octets for N.
der_len() {
  local n="$1"
  if ((n < 128)); then printf '%02x' "$n"
  elif ((n < 256)); then printf '81%02x' "$n"
  else printf '82%04x' "$n"; fi
}
# tlv TAG HEX: one DER element.
tlv() { printf '%s%s%s' "$1" "$(der_len $((${#2} / 2)))" "$2"; }
hexof() { xxd -p "$1" | tr -d '\n'; }
# header_len HEX: bytes in the first element's tag and length.
header_len() {
  local b="${1:2:2}"
  case "$b" in 81) echo 3 ;; 82) echo 4 ;; *) echo 2 ;; esac
}

kw_ocsp_req "$CA" "$T/good.pem" "$T/plain.der"
plain="$(hexof "$T/plain.der")"
# Without a nonce or version, TBSRequest holds only the requestList.
outer="$(header_len "$plain")"
tbs="${plain:$((outer * 2))}"
inner="$(header_len "$tbs")"
request_list="${tbs:$((inner * 2))}"
NONCE_OID=06092b0601050507300102

# request_with_extn_value NAME EXTN_VALUE_CONTENT_HEX: a request for good.pem
# whose nonce extension's extnValue holds exactly the given bytes.
request_with_extn_value() {
  local ext extensions
  ext="$(tlv 30 "${NONCE_OID}$(tlv 04 "$2")")"
  extensions="$(tlv a2 "$(tlv 30 "$ext")")"
  tlv 30 "$(tlv 30 "${request_list}${extensions}")" | xxd -r -p >"$T/$1.der"
}
random_hex() { openssl rand -hex "$1"; }

request_with_extn_value nonce0 "0400"
request_with_extn_value nonce1 "0401$(random_hex 1)"
request_with_extn_value nonce32 "0420$(random_hex 32)"
request_with_extn_value nonce33 "0421$(random_hex 33)"
request_with_extn_value nonce_not_octet_string "0201$(random_hex 1)"

for n in nonce1 nonce32; do
  code="$(kw_post_der "$URL" "$T/$n.der" "$T/$n.resp")"
  # With -reqin openssl compares the nonces itself (-no_nonce keeps it from
  # adding a second nonce of its own to the loaded request).
  out="$(timeout 15 openssl ocsp -no_nonce -reqin "$T/$n.der" -respin "$T/$n.resp" -issuer "$CA" \
    -cert "$T/good.pem" -CAfile "$CA" 2>&1)" || true
  if [[ "$code" == 200 ]]; then nonce_check "$n" good "$out" "$T/good.pem"
  else kw_fail "$n" "HTTP $code"; fi
done
for n in nonce0 nonce33 nonce_not_octet_string; do
  code="$(kw_post_der "$URL" "$T/$n.der" "$T/$n.resp")"
  got="$(xxd -p "$T/$n.resp" 2>/dev/null | tr -d '\n')"
  # OCSPResponse { responseStatus malformedRequest(1) }
  if [[ "$code" == 200 && "$got" == 30030a0101 ]]; then kw_pass "${n}_malformed"
  else kw_fail "${n}_malformed" "HTTP $code, body $got"; fi
done

# --- unknown serials -----------------------------------------------------------
# A certificate with a serial the store never saw: same issuer name and key,
# so the CertID matches the CA.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=stray \
  -keyout "$T/stray.key" -out "$T/stray.csr" >/dev/null 2>&1
openssl x509 -req -in "$T/stray.csr" -CA "$CA" -CAkey "$T/pki/demo-ca.key" -set_serial 0x5eed \
  -days 1 -out "$T/stray.pem" >/dev/null 2>&1
for nonce in -no_nonce -nonce; do
  out="$(timeout 15 openssl ocsp "$nonce" -issuer "$CA" -cert "$T/stray.pem" -url "$URL" \
    -CAfile "$CA" -timeout 10 2>&1)" || true
  nonce_check "unknown_serial${nonce}" unknown "$out" "$T/stray.pem"
done

# --- overload: one RSA signer thread, a queue of 2 -----------------------------
kw_stop_pid "$RESPONDER_PID"
kw_forget_pid "$RESPONDER_PID"
mkdir -p "$T/pki-rsa"
kw_free_port HTTP2_PORT
CONFIG2="$T/keyward-rsa.toml"
kw_write_config "$CONFIG2" "$REDIS_PORT" "$HTTP2_PORT" \
  "$(kw_ca_toml_keyward rsa "$T/pki-rsa")
ocsp_signer_key_type = \"rsa-3072\"" \
  "signer_threads = 1
signer_queue = 2
signer_deadline_ms = 20"
kw_ca_init "$CONFIG2"
kw_issue "$CONFIG2" rsa rsagood rsagood.example
kw_start_responder RESPONDER2_PID "$CONFIG2" "$HTTP2_PORT"
URL2="http://127.0.0.1:$HTTP2_PORT/"
RSA_CA="$T/pki-rsa/rsa-ca.pem"
for i in $(seq 1 16); do
  openssl ocsp -issuer "$RSA_CA" -cert "$T/rsagood.pem" -reqout "$T/flood$i.der" >/dev/null 2>&1
done
kw_ocsp_req "$RSA_CA" "$T/rsagood.pem" "$T/cached.der"
# 48 clients, each sending 25 nonce requests back to back, bounded by count.
flood_pids=()
for c in $(seq 1 48); do
  (
    for r in $(seq 1 25); do
      curl -s --max-time 5 -o /dev/null -H 'Content-Type: application/ocsp-request' \
        --data-binary "@$T/flood$(((c + r) % 16 + 1)).der" "$URL2" || true
    done
  ) &
  flood_pids+=($!)
done
hits_ok=0
for i in $(seq 1 20); do
  code="$(kw_post_der "$URL2" "$T/cached.der" "$T/cached$i.resp")"
  if [[ "$code" == 200 && "$(kw_resp_status "$T/cached$i.resp" "$RSA_CA" "$T/rsagood.pem" "$RSA_CA")" == good ]]; then
    hits_ok=$((hits_ok + 1))
  fi
done
for p in "${flood_pids[@]}"; do wait "$p" || true; done
if ((hits_ok == 20)); then kw_pass overload_hit_path_answers
else kw_fail overload_hit_path_answers "only $hits_ok of 20 cached answers were good during the flood"; fi
metrics="$(curl -fsS --max-time 5 "${URL2}metrics" || true)"
trylater="$(awk '/^keyward_live_trylater_total/ {print $2; exit}' <<<"$metrics")"
signed="$(awk '/^keyward_live_signatures_total/ {print $2; exit}' <<<"$metrics")"
kw_note "during the flood: ${signed:-?} live signatures, ${trylater:-?} answered tryLater"
if [[ -n "$trylater" ]] && awk -v t="$trylater" 'BEGIN { exit !(t > 0) }'; then
  kw_pass overload_answers_trylater
else
  kw_fail overload_answers_trylater "no tryLater counted: $(kw_oneline "$(grep -i -E 'trylater|live' <<<"$metrics")")"
fi
out="$(timeout 15 openssl ocsp -issuer "$RSA_CA" -cert "$T/rsagood.pem" -url "$URL2" \
  -CAfile "$RSA_CA" -timeout 10 2>&1)" || true
nonce_check overload_recovers good "$out" "$T/rsagood.pem"

kw_finish
