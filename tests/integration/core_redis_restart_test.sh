#!/usr/bin/env bash
# shellcheck disable=SC2153 # kw_free_port and kw_start_* assign variables by name
# Redis restarted under a running responder. While Redis is down the responder
# keeps answering from its cache and nothing can be revoked. A certificate is
# then revoked while the responder is disconnected (Redis back with its data,
# the responder held with SIGSTOP so it cannot reconnect in between and misses
# the pub/sub message). Once it runs again it must resynchronise: revoked
# within a few seconds, and never good again after the first revoked answer.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
kw_init core_redis_restart
T="$KW_TMP"
out="" rc=""  # set by kw_cli
RESYNC_LIMIT_MS=5000   # first revoked answer after SIGCONT
WATCH_MS=3000          # keep watching this long after the first revoked answer

kw_free_port REDIS_PORT
kw_free_port HTTP_PORT
# This test needs the data to survive a restart: append-only file, fsync always.
REDIS_ARGS=(--appendonly yes --appendfsync always)
kw_start_redis REDIS_PID "$REDIS_PORT" "${REDIS_ARGS[@]}"
mkdir -p "$T/pki"
CONFIG="$T/keyward.toml"
kw_write_config "$CONFIG" "$REDIS_PORT" "$HTTP_PORT" "$(kw_ca_toml_keyward demo "$T/pki")"
kw_ca_init "$CONFIG"
CA="$T/pki/demo-ca.pem"
kw_issue "$CONFIG" demo keep keep.example
kw_issue "$CONFIG" demo victim victim.example
kw_issue "$CONFIG" demo third third.example
VICTIM_SERIAL="$(kw_serial "$T/victim.pem")"

kw_start_responder RESPONDER_PID "$CONFIG" "$HTTP_PORT"
URL="http://127.0.0.1:$HTTP_PORT/"
for c in keep victim third; do
  kw_ocsp_req "$CA" "$T/$c.pem" "$T/$c.req" || kw_die "openssl ocsp -reqout failed"
  kw_post_der "$URL" "$T/$c.req" "$T/$c.resp" >/dev/null
  [[ "$(kw_resp_status "$T/$c.resp" "$CA" "$T/$c.pem" "$CA")" == good ]] ||
    kw_die "$c does not answer a verified good before the restart"
done
kw_pass good_before_restart

# --- Redis down ------------------------------------------------------------------------
kw_stop_pid "$REDIS_PID"
kw_forget_pid "$REDIS_PID"
if kw_port_in_use "$REDIS_PORT"; then kw_die "redis-server still listening after stop"; fi

for c in keep victim; do
  code="$(kw_post_der "$URL" "$T/$c.req" "$T/$c-down.resp")"
  got="$(kw_resp_status "$T/$c-down.resp" "$CA" "$T/$c.pem" "$CA")"
  if [[ "$code" == 200 && "$got" == good ]]; then
    kw_pass "cached_answer_while_redis_down_$c"
  else
    kw_fail "cached_answer_while_redis_down_$c" "HTTP $code, status $got"
  fi
done
if curl -sS --max-time 5 -o /dev/null "$URL/healthz" 2>/dev/null; then
  kw_pass healthz_answers_while_redis_down
else
  kw_fail healthz_answers_while_redis_down "no HTTP answer on /healthz"
fi

kw_cli out rc revoke --config "$CONFIG" --ca demo --serial "$VICTIM_SERIAL" --reason keyCompromise
if [[ "$rc" != 0 && "$rc" != 124 ]]; then
  kw_pass revoke_refused_while_redis_down
  kw_note "revoke with Redis down: exit $rc: $(kw_oneline "$out")"
else
  kw_fail revoke_refused_while_redis_down "keyward revoke with Redis down: exit $rc: $(kw_oneline "$out")"
fi

# --- revoke while the responder is disconnected ----------------------------------------
kill -STOP "$RESPONDER_PID"
kw_start_redis REDIS_PID "$REDIS_PORT" "${REDIS_ARGS[@]}"
kw_cli out rc status --config "$CONFIG" --ca demo --serial "$VICTIM_SERIAL"
if [[ "$rc" != 0 ]] || ! grep -qiw good <<<"$out"; then
  kw_die "Redis did not keep its data across the restart: keyward status: exit $rc: $(kw_oneline "$out")"
fi
kw_revoke "$CONFIG" demo "$VICTIM_SERIAL" keyCompromise
kw_issue "$CONFIG" demo fresh fresh.example
kw_ocsp_req "$CA" "$T/fresh.pem" "$T/fresh.req" || kw_die "openssl ocsp -reqout failed"
kill -CONT "$RESPONDER_PID"
start="$(kw_now_ms)"

first_revoked=""
good_after=0
last=none
seen=""
while :; do
  now="$(kw_now_ms)"
  if [[ -z "$first_revoked" ]] && ((now - start > RESYNC_LIMIT_MS)); then break; fi
  if [[ -n "$first_revoked" ]] && ((now - start - first_revoked > WATCH_MS)); then break; fi
  kw_post_der "$URL" "$T/victim.req" "$T/victim-poll.resp" >/dev/null
  last="$(kw_resp_status "$T/victim-poll.resp" "$CA" "$T/victim.pem" "$CA")"
  [[ "$seen" == *" $last"* ]] || seen+=" $last"
  if [[ "$last" == revoked && -z "$first_revoked" ]]; then first_revoked=$(($(kw_now_ms) - start)); fi
  if [[ "$last" == good && -n "$first_revoked" ]]; then good_after=$((good_after + 1)); fi
  sleep 0.05
done
if [[ -z "$first_revoked" ]]; then
  kw_fail revoked_after_resync "still '$last' ${RESYNC_LIMIT_MS} ms after SIGCONT (answers seen:$seen)"
else
  kw_pass revoked_after_resync
  kw_note "first revoked answer ${first_revoked} ms after SIGCONT (answers seen:$seen)"
fi
if ((good_after == 0)); then
  kw_pass never_good_after_revoked
else
  kw_fail never_good_after_revoked "$good_after good answer(s) after the first revoked one"
fi

kw_ocsp_check keep_still_good good "$URL" "$CA" "$T/keep.pem" "$CA"
if ms="$(kw_poll_status "$URL" "$T/fresh.req" "$CA" "$T/fresh.pem" "$CA" good "$RESYNC_LIMIT_MS")"; then
  kw_pass issued_while_disconnected_good
else
  kw_fail issued_while_disconnected_good "certificate issued while the responder was disconnected: '$ms'"
fi

# The subscription is back: a revoke now reaches the responder as usual.
kw_revoke "$CONFIG" demo "$(kw_serial "$T/third.pem")" keyCompromise
if ms="$(kw_poll_status "$URL" "$T/third.req" "$CA" "$T/third.pem" "$CA" revoked 3000)"; then
  kw_pass revoke_after_reconnect_propagates
  kw_note "revoke after the reconnect reached the responder in ${ms} ms"
else
  kw_fail revoke_after_reconnect_propagates "still '$ms' 3000 ms after keyward revoke"
fi

kw_check_alive responder_still_running "$RESPONDER_PID" "keyward-responder exited"
kw_finish
