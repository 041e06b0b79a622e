#!/usr/bin/env bash
# shellcheck disable=SC2153 # kw_free_port and kw_start_* assign variables by name
# `keyward revoke` reaches every running responder within one second (the
# contract in DESIGN.md): two keyward-responder processes on one Redis, polled
# right after revoke returns.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
kw_init core_revoke_propagation
T="$KW_TMP"
out="" rc=""  # set by kw_cli
LIMIT_MS=1000      # the contract
GIVE_UP_MS=5000    # keep polling past the limit to report how late it was

kw_free_port REDIS_PORT
kw_free_port PORT_A
kw_free_port PORT_B
kw_start_redis REDIS_PID "$REDIS_PORT"
mkdir -p "$T/pki"
CA_TOML="$(kw_ca_toml_keyward demo "$T/pki")"
kw_write_config "$T/a.toml" "$REDIS_PORT" "$PORT_A" "$CA_TOML"
kw_write_config "$T/b.toml" "$REDIS_PORT" "$PORT_B" "$CA_TOML"
kw_ca_init "$T/a.toml"
CA="$T/pki/demo-ca.pem"
kw_issue "$T/a.toml" demo target target.example
kw_issue "$T/a.toml" demo other other.example
SERIAL="$(kw_serial "$T/target.pem")"

kw_start_responder PID_A "$T/a.toml" "$PORT_A" responder-a
kw_start_responder PID_B "$T/b.toml" "$PORT_B" responder-b
URL_A="http://127.0.0.1:$PORT_A/"
URL_B="http://127.0.0.1:$PORT_B/"

kw_ocsp_check before_revoke_good_a good "$URL_A" "$CA" "$T/target.pem" "$CA"
kw_ocsp_check before_revoke_good_b good "$URL_B" "$CA" "$T/target.pem" "$CA"

kw_ocsp_req "$CA" "$T/target.pem" "$T/target.req" || kw_die "openssl ocsp -reqout failed"
# The good answers as served now: while a poll returns these same bytes the
# status is still good, so the loop need not run openssl for each poll.
for r in a b; do
  url="URL_${r^^}"
  code="$(kw_post_der "${!url}" "$T/target.req" "$T/good-$r.resp")"
  [[ "$code" == 200 && "$(kw_resp_status "$T/good-$r.resp" "$CA" "$T/target.pem" "$CA")" == good ]] ||
    kw_die "responder $r: POST of the prepared request did not give a verified good answer (HTTP $code)"
done

kw_revoke "$T/a.toml" demo "$SERIAL" keyCompromise
start="$(kw_now_ms)"
declare -A took=([a]="" [b]="")
declare -A last=([a]=good [b]=good)
while :; do
  now="$(kw_now_ms)"
  elapsed=$((now - start))
  [[ -n "${took[a]}" && -n "${took[b]}" ]] && break
  ((elapsed > GIVE_UP_MS)) && break
  for r in a b; do
    [[ -n "${took[$r]}" ]] && continue
    url="URL_${r^^}"
    kw_post_der "${!url}" "$T/target.req" "$T/poll-$r.resp" >/dev/null
    if cmp -s "$T/poll-$r.resp" "$T/good-$r.resp"; then continue; fi
    last[$r]="$(kw_resp_status "$T/poll-$r.resp" "$CA" "$T/target.pem" "$CA")"
    if [[ "${last[$r]}" == revoked ]]; then took[$r]=$(($(kw_now_ms) - start)); fi
  done
done

for r in a b; do
  if [[ -z "${took[$r]}" ]]; then
    kw_fail "revoked_within_1s_$r" "still ${last[$r]} ${GIVE_UP_MS} ms after keyward revoke returned"
  elif ((took[$r] > LIMIT_MS)); then
    kw_fail "revoked_within_1s_$r" "revoked after ${took[$r]} ms (limit ${LIMIT_MS} ms)"
  else
    kw_pass "revoked_within_1s_$r"
  fi
  kw_note "responder $r answered revoked ${took[$r]:-never} ms after keyward revoke returned"
done

# Full client check on both, with the reason.
for r in a b; do
  url="URL_${r^^}"
  out="$(timeout 15 openssl ocsp -issuer "$CA" -cert "$T/target.pem" -url "${!url}" -no_nonce \
    -CAfile "$CA" -timeout 10 2>&1)" || true
  kw_ocsp_expect "openssl_revoked_$r" revoked "$out" "$T/target.pem"
  if grep -q 'Reason: keyCompromise' <<<"$out"; then
    kw_pass "revocation_reason_$r"
  else
    kw_fail "revocation_reason_$r" "want 'Reason: keyCompromise': $(kw_oneline "$out")"
  fi
  kw_ocsp_check "other_still_good_$r" good "${!url}" "$CA" "$T/other.pem" "$CA"
done

kw_cli out rc status --config "$T/a.toml" --ca demo --serial "$SERIAL"
if [[ "$rc" == 0 ]] && grep -qiw revoked <<<"$out"; then
  kw_pass status_prints_revoked
else
  kw_fail status_prints_revoked "keyward status --ca demo --serial $SERIAL: exit $rc: $(kw_oneline "$out")"
fi

for r in a b; do
  pid="PID_${r^^}"
  kw_check_alive "responder_${r}_still_running" "${!pid}" "keyward-responder $r exited"
done
kw_finish
