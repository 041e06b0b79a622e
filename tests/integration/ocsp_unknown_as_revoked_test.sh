#!/usr/bin/env bash
# shellcheck disable=SC2153 # kw_free_port and kw_start_* assign variables by name
# A serial a Keyward CA never issued, with and without `unknown_as_revoked`:
# two responders on one Redis, one per setting, asked by openssl ocsp and
# GnuTLS ocsptool with and without a nonce. With the option the answer is
# RFC 6960 2.2's: "revoked" on 1970-01-01 with reason certificateHold and the
# extended-revoke extension (id-pkix-ocsp-extended-revoke,
# 1.3.6.1.5.5.7.48.1.9) in the response; without it, "unknown" and no such
# extension. Issued certificates answer as before in both modes: good stays
# good, revoked stays revoked with its reason.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
kw_init ocsp_unknown_as_revoked
T="$KW_TMP"
command -v ocsptool >/dev/null || kw_die "ocsptool not installed (package gnutls-bin)"

kw_free_port REDIS_PORT
kw_free_port ON_PORT
kw_free_port OFF_PORT
kw_start_redis REDIS_PID "$REDIS_PORT"
mkdir -p "$T/pki"
ON_CONFIG="$T/keyward-on.toml"
OFF_CONFIG="$T/keyward-off.toml"
kw_write_config "$ON_CONFIG" "$REDIS_PORT" "$ON_PORT" "$(kw_ca_toml_keyward demo "$T/pki")
unknown_as_revoked = true"
# The default (no key at all) is the "off" mode.
kw_write_config "$OFF_CONFIG" "$REDIS_PORT" "$OFF_PORT" "$(kw_ca_toml_keyward demo "$T/pki")"
kw_ca_init "$ON_CONFIG"
CA="$T/pki/demo-ca.pem"
SIGNER="$T/pki/demo-ocsp.pem"

kw_issue "$ON_CONFIG" demo good good.example
kw_issue "$ON_CONFIG" demo revoked revoked.example
kw_revoke "$ON_CONFIG" demo "$(kw_serial "$T/revoked.pem")" keyCompromise

# A certificate of the same CA (same issuer name and key, so the CertID
# matches) with a random serial, signed outside Keyward: nothing was ever
# stored for it.
kw_make_csr never never.example
openssl x509 -req -in "$T/never.csr" -CA "$CA" -CAkey "$T/pki/demo-ca.key" \
  -set_serial "0x7$(openssl rand -hex 15)" -days 1 -out "$T/never.pem" >/dev/null 2>&1 ||
  kw_die "openssl x509 -req (never-issued certificate) failed"
NEVER_SERIAL="$(kw_serial "$T/never.pem")"
kw_cli out rc status --config "$ON_CONFIG" --ca demo --serial "$NEVER_SERIAL"
if [[ "$rc" == 0 ]] && grep -q 'status: unknown' <<<"$out"; then
  kw_pass never_issued_has_no_record
else
  kw_fail never_issued_has_no_record "keyward status: exit $rc: $(kw_oneline "$out")"
fi

kw_start_responder ON_PID "$ON_CONFIG" "$ON_PORT" responder-on
kw_start_responder OFF_PID "$OFF_CONFIG" "$OFF_PORT" responder-off
declare -A URL=([on]="http://127.0.0.1:$ON_PORT/" [off]="http://127.0.0.1:$OFF_PORT/")

# The extension as DER: SEQUENCE { OID 1.3.6.1.5.5.7.48.1.9, OCTET STRING
# { NULL } }, no critical flag (RFC 6960 2.2 and 4.4.8).
EXT_OID=1.3.6.1.5.5.7.48.1.9
EXT_DER_HEX=300f06092b060105050730010904020500
# The name openssl prints for that OID (OpenSSL 3.0 calls it "valid", after an
# early draft), or the dotted OID where it has none.
EXT_NAME="$(openssl asn1parse -genstr "OID:$EXT_OID" | sed -n 's/.*prim: OBJECT *://p')"
[[ -n "$EXT_NAME" ]] || kw_die "openssl asn1parse cannot name $EXT_OID"

# response_extensions TEXT: the lines of the "Response Extensions:" block of
# `openssl ocsp -resp_text`, trimmed.
response_extensions() {
  awk '/^ *Response Extensions:/ {on = 1; next} on && /^ *Signature Algorithm:/ {exit} on' <<<"$1" |
    sed 's/^[[:space:]]*//; s/[[:space:]]*$//'
}

# check_revocation PROBLEMS_VAR OUT CERT REASON: the revocation details
# openssl printed under CERT's status line; each mismatch is appended to the
# caller's array PROBLEMS_VAR.
check_revocation() {
  local -n __p="$1"
  local out="$2" cert="$3" reason="$4" details
  details="$(grep -F -A4 "$cert: revoked" <<<"$out" || true)"
  grep -q "Reason: $reason\$" <<<"$details" || __p+=("want reason $reason")
  if [[ "$reason" == certificateHold ]]; then
    grep -q 'Revocation Time: Jan  1 00:00:00 1970 GMT' <<<"$details" ||
      __p+=("want revocation time 1970-01-01 00:00:00")
  fi
}

# openssl_check NAME MODE NONCE CERT WANT [REASON]: `openssl ocsp` (POST) to
# the MODE responder with NONCE (-nonce or -no_nonce). WANT is good, revoked,
# unknown or extended (revoked as RFC 6960 2.2 says, with the extension).
# Checks a verified signature, the status and reason, the nonce echo, and the
# extension: present for "extended", absent otherwise.
openssl_check() {
  local name="$1" mode="$2" nonce="$3" cert="$4" want="$5" reason="${6:-}"
  local resp="$T/$name.der" out got status="$5" problems=()
  [[ "$want" == extended ]] && status=revoked reason=certificateHold
  out="$(timeout 15 openssl ocsp "$nonce" -issuer "$CA" -cert "$cert" -url "${URL[$mode]}" \
    -CAfile "$CA" -timeout 10 -resp_text -respout "$resp" 2>&1)" || true
  grep -q '^Response verify OK' <<<"$out" || problems+=("no 'Response verify OK'")
  got="$(kw_ocsp_status_of "$out" "$cert")"
  [[ "$got" == "$status" ]] || problems+=("want $status, got $got")
  [[ "$status" == revoked && "$got" == revoked ]] && check_revocation problems "$out" "$cert" "$reason"
  # openssl compares the nonces itself and warns on a missing or wrong echo.
  if grep -qiE 'no nonce in response|nonce verify error' <<<"$out"; then
    problems+=("nonce not echoed")
  fi
  local exts hex
  exts="$(response_extensions "$out")"
  hex="$(xxd -p "$resp" 2>/dev/null | tr -d '\n')"
  if [[ "$want" == extended ]]; then
    grep -qxF "$EXT_NAME:" <<<"$exts" || problems+=("no $EXT_NAME ($EXT_OID) in Response Extensions")
    [[ "$hex" == *"$EXT_DER_HEX"* ]] || problems+=("response DER lacks the non-critical $EXT_OID NULL extension")
  else
    grep -qxF "$EXT_NAME:" <<<"$exts" && problems+=("unexpected $EXT_NAME ($EXT_OID) extension")
    [[ "$hex" == *"06092b0601050507300109"* ]] && problems+=("unexpected $EXT_OID in the DER")
  fi
  if ((${#problems[@]} == 0)); then
    kw_pass "$name"
  else
    kw_fail "$name" "$(printf '%s; ' "${problems[@]}")$(kw_oneline "$out")"
  fi
}

# ocsptool_check NAME MODE NONCE CERT WANT: GnuTLS ocsptool --ask with NONCE
# (--nonce or --no-nonce); WANT as for openssl_check. ocsptool prints no
# revocation reason; it shows the revocation time and every extension.
ocsptool_check() {
  local name="$1" mode="$2" nonce="$3" cert="$4" want="$5" status="$5" out problems=()
  [[ "$want" == extended ]] && status=revoked
  out="$(timeout 20 ocsptool --ask="${URL[$mode]}" "$nonce" --load-issuer "$CA" \
    --load-cert "$cert" --load-trust "$CA" 2>&1)" || true
  grep -q 'Verifying OCSP Response: Success' <<<"$out" || problems+=("not verified")
  grep -q "Certificate Status: $status\$" <<<"$out" || problems+=("want Certificate Status: $status")
  if [[ "$want" == extended ]]; then
    grep -q 'Revocation time: Thu Jan 01 00:00:00 UTC 1970' <<<"$out" ||
      problems+=("want revocation time 1970-01-01 00:00:00")
    grep -qF "$EXT_OID (not critical)" <<<"$out" || problems+=("no non-critical $EXT_OID extension")
  else
    grep -qF "$EXT_OID" <<<"$out" && problems+=("unexpected $EXT_OID extension")
  fi
  if [[ "$nonce" == --nonce ]]; then
    grep -q $'^\t\tNonce: ' <<<"$out" || problems+=("no nonce in the response")
    grep -qi 'nonce.*mismatch\|nonce.*fail' <<<"$out" && problems+=("nonce mismatch")
  fi
  if ((${#problems[@]} == 0)); then
    kw_pass "$name"
  else
    kw_fail "$name" "$(printf '%s; ' "${problems[@]}")$(kw_oneline "$out")"
  fi
}

declare -A NEVER_WANT=([on]=extended [off]=unknown)
for mode in on off; do
  # Without a nonce first: the never-issued serial is signed live once, then
  # answered from the negative cache, which must say the same thing.
  for nonce in -no_nonce -nonce; do
    tag="${mode}_${nonce#-}"
    openssl_check "openssl_${tag}_good" "$mode" "$nonce" "$T/good.pem" good
    openssl_check "openssl_${tag}_revoked" "$mode" "$nonce" "$T/revoked.pem" revoked keyCompromise
    openssl_check "openssl_${tag}_never_issued" "$mode" "$nonce" "$T/never.pem" \
      "${NEVER_WANT[$mode]}"
  done
  for nonce in --no-nonce --nonce; do
    tag="${mode}_${nonce#--}"
    tag="${tag//-/_}"
    ocsptool_check "ocsptool_${tag}_good" "$mode" "$nonce" "$T/good.pem" good
    ocsptool_check "ocsptool_${tag}_revoked" "$mode" "$nonce" "$T/revoked.pem" revoked
    ocsptool_check "ocsptool_${tag}_never_issued" "$mode" "$nonce" "$T/never.pem" \
      "${NEVER_WANT[$mode]}"
  done
done

# --- the negative cache served the repeated no-nonce asks ------------------------
for mode in on off; do
  metrics="$(curl -fsS --max-time 5 "${URL[$mode]}metrics" || true)"
  hits="$(awk '/^keyward_negative_cache_hits_total/ {print $2; exit}' <<<"$metrics")"
  if [[ -n "$hits" ]] && awk -v h="$hits" 'BEGIN { exit !(h >= 1) }'; then
    kw_pass "negative_cache_used_$mode"
  else
    kw_fail "negative_cache_used_$mode" "keyward_negative_cache_hits_total is '${hits:-missing}'"
  fi
done

# --- the GET form (RFC 6960 A.1) of the cached answer ------------------------------
kw_ocsp_req "$CA" "$T/never.pem" "$T/never-req.der"
for mode in on off; do
  code="$(curl -sS --max-time 5 -o "$T/never-get-$mode.der" -w '%{http_code}' \
    "${URL[$mode]}$(kw_b64url "$T/never-req.der")" 2>/dev/null || true)"
  got="$(kw_resp_status "$T/never-get-$mode.der" "$CA" "$T/never.pem" "$CA")"
  hex="$(xxd -p "$T/never-get-$mode.der" | tr -d '\n')"
  has_ext=no
  [[ "$hex" == *"$EXT_DER_HEX"* ]] && has_ext=yes
  want=unknown want_ext=no
  [[ "$mode" == on ]] && want=revoked want_ext=yes
  if [[ "$code" == 200 && "$got" == "$want" && "$has_ext" == "$want_ext" ]]; then
    kw_pass "get_never_issued_$mode"
  else
    kw_fail "get_never_issued_$mode" "want HTTP 200, $want, extension $want_ext; got HTTP $code, $got, extension $has_ext"
  fi
done

# --- two CertIDs in one request: only the never-issued one is extended -------------
for mode in on off; do
  out="$(timeout 15 openssl ocsp -issuer "$CA" -cert "$T/good.pem" -cert "$T/never.pem" \
    -url "${URL[$mode]}" -CAfile "$CA" -timeout 10 -resp_text 2>&1)" || true
  exts="$(response_extensions "$out")"
  problems=()
  grep -q '^Response verify OK' <<<"$out" || problems+=("no 'Response verify OK'")
  [[ "$(kw_ocsp_status_of "$out" "$T/good.pem")" == good ]] || problems+=("good.pem not good")
  if [[ "$mode" == on ]]; then
    [[ "$(kw_ocsp_status_of "$out" "$T/never.pem")" == revoked ]] || problems+=("never.pem not revoked")
    check_revocation problems "$out" "$T/never.pem" certificateHold
    grep -qxF "$EXT_NAME:" <<<"$exts" || problems+=("no $EXT_NAME ($EXT_OID) extension")
  else
    [[ "$(kw_ocsp_status_of "$out" "$T/never.pem")" == unknown ]] || problems+=("never.pem not unknown")
    grep -qxF "$EXT_NAME:" <<<"$exts" && problems+=("unexpected $EXT_NAME ($EXT_OID) extension")
  fi
  grep -qiE 'no nonce in response|nonce verify error' <<<"$out" && problems+=("nonce not echoed")
  if ((${#problems[@]} == 0)); then
    kw_pass "two_cert_ids_$mode"
  else
    kw_fail "two_cert_ids_$mode" "$(printf '%s; ' "${problems[@]}")$(kw_oneline "$out")"
  fi
done

# --- the delegated signer trusted directly (-VAfile) ---------------------------------
out="$(timeout 15 openssl ocsp -issuer "$CA" -cert "$T/never.pem" -url "${URL[on]}" \
  -VAfile "$SIGNER" -timeout 10 2>&1)" || true
kw_ocsp_expect vafile_on_never_issued revoked "$out" "$T/never.pem"

kw_finish
