#!/usr/bin/env bash
# shellcheck disable=SC2153 # kw_free_port and kw_start_* assign variables by name
# An operator's existing OpenSSL CA as a status source: Keyward gets the CA
# certificate, a delegated OCSP signer and the CA's index.txt, never the CA
# key. keyward-poller (interval_s = 1) follows index.txt; after
# `openssl ca -revoke` the responder answers revoked within one poll interval
# (this test fails only past two intervals + 2 s).
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
kw_init core_index_txt keyward keyward-responder keyward-poller
T="$KW_TMP"
out="" rc=""  # set by kw_cli
INTERVAL_S=1
LIMIT_MS=$((2 * INTERVAL_S * 1000 + 2000))
OCA="$T/oca"

kw_openssl_ca "$OCA"
kw_openssl_ca_issue "$OCA" leaf leaf.example
kw_openssl_ca_issue "$OCA" other other.example
CA="$OCA/ca.pem"

kw_free_port REDIS_PORT
kw_free_port HTTP_PORT
kw_start_redis REDIS_PID "$REDIS_PORT"
CONFIG="$T/keyward.toml"
KW_POLL_INTERVAL_S=$INTERVAL_S kw_write_config "$CONFIG" "$REDIS_PORT" "$HTTP_PORT" "$(
  cat <<EOF
[[ca]]
name = "legacy"
cert = "$CA"
ocsp_signer_cert = "$OCA/ocsp.pem"
ocsp_signer_key = "$OCA/ocsp.key"
index = "$OCA/index.txt"
EOF
)"

kw_start_daemon POLLER_PID poller "$KEYWARD_BIN/keyward-poller" --config "$CONFIG"
kw_start_responder RESPONDER_PID "$CONFIG" "$HTTP_PORT"
URL="http://127.0.0.1:$HTTP_PORT/"

kw_ocsp_req "$CA" "$OCA/leaf.pem" "$T/leaf.req" || kw_die "openssl ocsp -reqout failed"
kw_ocsp_req "$CA" "$OCA/other.pem" "$T/other.req" || kw_die "openssl ocsp -reqout failed"

# The first pass imports index.txt; V entries answer good.
if ms="$(kw_poll_status "$URL" "$T/leaf.req" "$CA" "$OCA/leaf.pem" "$CA" good "$LIMIT_MS")"; then
  kw_pass index_v_entry_good
  kw_note "leaf answered good ${ms} ms after the responder was ready"
else
  kw_fail index_v_entry_good "leaf (V in index.txt) still '$ms' after ${LIMIT_MS} ms"
fi
kw_ocsp_check openssl_good "good" "$URL" "$CA" "$OCA/leaf.pem" "$CA"
kw_ocsp_check openssl_good_sha256 "good" "$URL" "$CA" "$OCA/leaf.pem" "$CA" -sha256

# Revoke with the operator's own tool.
out="$(openssl ca -config "$OCA/openssl.cnf" -revoke "$OCA/leaf.pem" -crl_reason keyCompromise 2>&1)" ||
  kw_die "openssl ca -revoke failed: $(kw_oneline "$out")"
if ms="$(kw_poll_status "$URL" "$T/leaf.req" "$CA" "$OCA/leaf.pem" "$CA" revoked "$LIMIT_MS")"; then
  kw_pass index_revoke_reaches_responder
  kw_note "revoked ${ms} ms after openssl ca -revoke (poll interval ${INTERVAL_S} s)"
else
  kw_fail index_revoke_reaches_responder "still '$ms' ${LIMIT_MS} ms after openssl ca -revoke"
fi
out="$(timeout 15 openssl ocsp -issuer "$CA" -cert "$OCA/leaf.pem" -url "$URL" -no_nonce \
  -CAfile "$CA" -timeout 10 2>&1)" || true
kw_ocsp_expect openssl_revoked revoked "$out" "$OCA/leaf.pem"
if grep -q 'Reason: keyCompromise' <<<"$out"; then
  kw_pass revocation_reason_from_index
else
  kw_fail revocation_reason_from_index "want 'Reason: keyCompromise': $(kw_oneline "$out")"
fi
kw_ocsp_check other_still_good good "$URL" "$CA" "$OCA/other.pem" "$CA"

# A certificate the operator issues after the poller started.
kw_openssl_ca_issue "$OCA" late late.example
kw_ocsp_req "$CA" "$OCA/late.pem" "$T/late.req" || kw_die "openssl ocsp -reqout failed"
if ms="$(kw_poll_status "$URL" "$T/late.req" "$CA" "$OCA/late.pem" "$CA" good "$LIMIT_MS")"; then
  kw_pass index_new_entry_good
  kw_note "new index.txt entry answered good after ${ms} ms"
else
  kw_fail index_new_entry_good "new V entry still '$ms' after ${LIMIT_MS} ms"
fi

# A certificate signed with the CA key but absent from index.txt must never be
# vouched for.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/rogue.key" \
  -out "$T/rogue.csr" -subj "/CN=rogue.example" >/dev/null 2>&1 || kw_die "openssl req (rogue) failed"
openssl x509 -req -in "$T/rogue.csr" -CA "$CA" -CAkey "$OCA/ca.key" -set_serial 0x7E57 -days 5 \
  -out "$T/rogue.pem" >/dev/null 2>&1 || kw_die "openssl x509 -req (rogue) failed"
out="$(timeout 15 openssl ocsp -issuer "$CA" -cert "$T/rogue.pem" -url "$URL" -no_nonce \
  -CAfile "$CA" -timeout 10 2>&1)" || true
got="$(kw_ocsp_status_of "$out" "$T/rogue.pem")"
if [[ "$got" == good ]]; then
  kw_fail serial_not_in_index_not_good "answered good for a serial index.txt does not list"
elif [[ "$got" == none ]]; then
  kw_fail serial_not_in_index_not_good "no OCSP answer: $(kw_oneline "$out")"
else
  kw_pass serial_not_in_index_not_good
  kw_note "serial absent from index.txt answered: $got"
fi

kw_cli out rc status --config "$CONFIG" --ca legacy --serial "$(kw_serial "$OCA/leaf.pem")"
if [[ "$rc" == 0 ]] && grep -qiw revoked <<<"$out"; then
  kw_pass status_prints_revoked
else
  kw_fail status_prints_revoked "keyward status --ca legacy: exit $rc: $(kw_oneline "$out")"
fi

kw_check_alive poller_still_running "$POLLER_PID" "keyward-poller exited"
kw_check_alive responder_still_running "$RESPONDER_PID" "keyward-responder exited"
kw_finish
