#!/usr/bin/env bash
# Certificates that follow their device. A local stand-in serves the http-json
# directory contract (tests/integration/directory/http_json_standin.py; the
# cloud directories cannot be reached from test machines), keyward-poller
# follows it every second, keyward-responder answers:
#   disable -> revoked (certificateHold) -> re-enable -> good; delete ->
#   revoked (cessationOfOperation), each within one poll interval (fails past
#   two intervals + 2 s); the measured times are printed;
#   a webhook event signed right is answered within 1 s of the POST; a bad
#   signature, a stale timestamp and a replay change nothing;
#   an admin revocation is never undone by the directory;
#   the directory stopped: nothing flips, /metrics and the log show it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
kw_init directory_e2e keyward keyward-responder keyward-poller
command -v python3 >/dev/null || kw_die "python3 not installed (deploy/install-deps.sh test)"
T="$KW_TMP"
INTERVAL_S=1
LIMIT_MS=$((2 * INTERVAL_S * 1000 + 2000))
STANDIN="$(cd "$(dirname "$0")" && pwd)/directory/http_json_standin.py"

kw_free_port REDIS_PORT
kw_free_port HTTP_PORT
kw_free_port DIR_PORT
kw_free_port HOOK_PORT
kw_start_redis REDIS_PID "$REDIS_PORT"
echo "directory-token-1" >"$T/dir.token"
echo "webhook-secret-1" >"$T/hook.secret"
SECRET="webhook-secret-1"
CONFIG="$T/keyward.toml"
CA_TOML="$(kw_ca_toml_keyward demo "$T/pki")"
DIR_TOML="device_id = \"san-uri:urn:device:\"

[[directory]]
name = \"fleet\"
kind = \"http-json\"
url = \"http://127.0.0.1:$DIR_PORT/devices\"
token_file = \"$T/dir.token\"
interval_s = $INTERVAL_S
cas = [\"demo\"]

[[directory]]
name = \"hooks\"
kind = \"webhook\"
listen = \"127.0.0.1:$HOOK_PORT\"
secret_file = \"$T/hook.secret\"
cas = [\"demo\"]"
KW_POLL_INTERVAL_S=$INTERVAL_S kw_write_config "$CONFIG" "$REDIS_PORT" "$HTTP_PORT" "$CA_TOML
$DIR_TOML"
kw_ca_init "$CONFIG"
CA="$T/pki/demo-ca.pem"

# write_devices ID:ENABLED:DELETED...: the stand-in's listing, replaced whole.
write_devices() {
  local first=1 d id en del
  {
    printf '{"devices": ['
    for d in "$@"; do
      IFS=: read -r id en del <<<"$d"
      ((first)) || printf ', '
      first=0
      printf '{"id": "%s", "enabled": %s, "deleted": %s}' "$id" "$en" "$del"
    done
    printf ']}\n'
  } >"$T/devices.json.tmp"
  mv "$T/devices.json.tmp" "$T/devices.json"
}
start_standin() {
  kw_start_daemon STANDIN_PID standin python3 "$STANDIN" --port "$DIR_PORT" \
    --file "$T/devices.json" --page-size 2 --token-file "$T/dir.token"
  local i
  for ((i = 0; i < 100; i++)); do
    curl -fsS --max-time 1 -o /dev/null -H "Authorization: Bearer directory-token-1" \
      "http://127.0.0.1:$DIR_PORT/devices" 2>/dev/null && return 0
    sleep 0.1
  done
  kw_die "directory stand-in did not start: $(kw_oneline "$(cat "$KW_TMP/standin.log")")"
}

for dev in dev-a dev-b dev-c dev-w; do
  kw_make_csr "$dev" "$dev.example"
  kw_cli out rc issue --config "$CONFIG" --ca demo --csr "$T/$dev.csr" --out "$T/$dev.pem" \
    --san-uri "urn:device:$dev"
  [[ "$rc" == 0 ]] || kw_die "keyward issue --san-uri urn:device:$dev: $(kw_oneline "$out")"
  kw_ocsp_req "$CA" "$T/$dev.pem" "$T/$dev.req" || kw_die "openssl ocsp -reqout failed"
done
kw_cli out rc status --config "$CONFIG" --ca demo --serial "$(kw_serial "$T/dev-a.pem")"
if grep -q '^device_id: dev-a$' <<<"$out"; then
  kw_pass record_has_device_id
else
  kw_fail record_has_device_id "keyward status shows no device_id dev-a: $(kw_oneline "$out")"
fi

write_devices dev-a:true:false dev-b:true:false dev-c:true:false
start_standin
kw_start_daemon POLLER_PID poller "$KEYWARD_BIN/keyward-poller" --config "$CONFIG"
kw_start_responder RESPONDER_PID "$CONFIG" "$HTTP_PORT"
URL="http://127.0.0.1:$HTTP_PORT/"
kw_wait_url "http://127.0.0.1:$HOOK_PORT/healthz" 20 "$POLLER_PID" ||
  kw_die "poller's directory endpoint not ready: $(kw_oneline "$(tail -n 5 "$T/poller.log")")"

# expect_status NAME DEV WANT [REASON]: poll until WANT (bounded), then check
# status and reason with openssl ocsp.
expect_status() {
  local name="$1" dev="$2" want="$3" reason="${4:-}" ms out
  if ms="$(kw_poll_status "$URL" "$T/$dev.req" "$CA" "$T/$dev.pem" "$CA" "$want" "$LIMIT_MS")"; then
    kw_note "$name: $dev answered $want ${ms} ms after the directory changed (poll interval ${INTERVAL_S} s)"
  else
    kw_fail "$name" "$dev still '$ms' ${LIMIT_MS} ms after the change"
    return 0
  fi
  out="$(timeout 15 openssl ocsp -issuer "$CA" -cert "$T/$dev.pem" -url "$URL" -no_nonce \
    -CAfile "$CA" -timeout 10 2>&1)" || true
  kw_ocsp_expect "$name" "$want" "$out" "$T/$dev.pem"
  if [[ -n "$reason" ]]; then
    if grep -q "Reason: $reason" <<<"$out"; then
      kw_pass "${name}_reason_$reason"
    else
      kw_fail "${name}_reason_$reason" "want Reason: $reason: $(kw_oneline "$out")"
    fi
  fi
}

for dev in dev-a dev-b dev-c; do
  kw_ocsp_check "${dev}_good_at_start" good "$URL" "$CA" "$T/$dev.pem" "$CA"
done

write_devices dev-a:false:false dev-b:true:false dev-c:true:false
expect_status disabled_is_on_hold dev-a revoked certificateHold
kw_ocsp_check others_untouched_by_disable good "$URL" "$CA" "$T/dev-b.pem" "$CA"

write_devices dev-a:false:false dev-b:true:true dev-c:true:false
expect_status deleted_is_revoked dev-b revoked cessationOfOperation

write_devices dev-a:true:false dev-b:true:true dev-c:true:false
expect_status reenabled_is_good_again dev-a good
# Deletion is permanent, even when a later listing has the device enabled.
write_devices dev-a:true:false dev-b:true:false dev-c:true:false
sleep $((2 * INTERVAL_S + 1))
kw_ocsp_check deleted_stays_revoked revoked "$URL" "$CA" "$T/dev-b.pem" "$CA"

kw_cli out rc device status --config "$CONFIG" dev-b
if [[ "$rc" == 0 ]] && grep -q 'cessationOfOperation' <<<"$out" &&
  grep -q 'directory fleet: active' <<<"$out"; then
  kw_pass device_status_cli
else
  kw_fail device_status_cli "exit $rc: $(kw_oneline "$out")"
fi
kw_cli out rc device list --config "$CONFIG" --state active
if [[ "$rc" == 0 ]] && grep -q $'fleet\tdev-c\tactive' <<<"$out"; then
  kw_pass device_list_cli
else
  kw_fail device_list_cli "exit $rc: $(kw_oneline "$out")"
fi

# ---- webhook
hook_post() {  # hook_post BODY TIMESTAMP SIGNATURE: prints the HTTP code
  curl -sS --max-time 15 -o "$T/hook.out" -w '%{http_code}' -H 'Content-Type: application/json' \
    -H "X-Keyward-Timestamp: $2" -H "X-Keyward-Signature: $3" --data-binary "$1" \
    "http://127.0.0.1:$HOOK_PORT/events" 2>/dev/null || true
}
sign() { printf '%s' "$1.$2" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.*= //'; }
BODY='{"devices": [{"id": "dev-w", "enabled": false, "deleted": false}]}'
TS="$(date +%s)"
code="$(hook_post "$BODY" "$TS" "sha256=$(sign "$TS" "$BODY.tampered")")"
[[ "$code" == 401 ]] && kw_pass webhook_bad_signature_refused ||
  kw_fail webhook_bad_signature_refused "HTTP $code: $(cat "$T/hook.out")"
code="$(hook_post "$BODY" "$((TS - 3600))" "sha256=$(sign "$((TS - 3600))" "$BODY")")"
[[ "$code" == 401 ]] && kw_pass webhook_stale_timestamp_refused ||
  kw_fail webhook_stale_timestamp_refused "HTTP $code: $(cat "$T/hook.out")"
sleep 1.2
kw_ocsp_check webhook_refused_changes_nothing good "$URL" "$CA" "$T/dev-w.pem" "$CA"
if grep -q 'webhook post from .* refused: bad_signature' "$T/poller.log"; then
  kw_pass webhook_refusal_logged
else
  kw_fail webhook_refusal_logged "no 'refused: bad_signature' line in the poller log"
fi

SIG="sha256=$(sign "$TS" "$BODY")"
code="$(hook_post "$BODY" "$TS" "$SIG")"
[[ "$code" == 200 ]] && kw_pass webhook_signed_accepted ||
  kw_fail webhook_signed_accepted "HTTP $code: $(cat "$T/hook.out")"
if ms="$(kw_poll_status "$URL" "$T/dev-w.req" "$CA" "$T/dev-w.pem" "$CA" revoked 1000)"; then
  kw_pass webhook_within_one_second
  kw_note "dev-w answered revoked ${ms} ms after the webhook POST returned"
else
  kw_fail webhook_within_one_second "dev-w still '$ms' 1000 ms after the POST"
fi
code="$(hook_post "$BODY" "$TS" "$SIG")"
[[ "$code" == 401 ]] && kw_pass webhook_replay_refused ||
  kw_fail webhook_replay_refused "HTTP $code: $(cat "$T/hook.out")"
BODY2='{"id": "dev-w", "enabled": true}'
TS2="$(date +%s)"
code="$(hook_post "$BODY2" "$TS2" "sha256=$(sign "$TS2" "$BODY2")")"
[[ "$code" == 200 ]] || kw_fail webhook_reenable_post "HTTP $code: $(cat "$T/hook.out")"
if ms="$(kw_poll_status "$URL" "$T/dev-w.req" "$CA" "$T/dev-w.pem" "$CA" good 1000)"; then
  kw_pass webhook_reenable
  kw_note "dev-w answered good again ${ms} ms after the POST returned"
else
  kw_fail webhook_reenable "dev-w still '$ms' 1000 ms after the POST"
fi

# ---- an admin revocation is never undone by a directory
kw_revoke "$CONFIG" demo "$(kw_serial "$T/dev-c.pem")" keyCompromise
write_devices dev-a:false:false dev-b:true:true dev-c:true:false
expect_status held_again dev-a revoked certificateHold
write_devices dev-a:true:false dev-b:true:true dev-c:true:false
expect_status released_again dev-a good
out="$(timeout 15 openssl ocsp -issuer "$CA" -cert "$T/dev-c.pem" -url "$URL" -no_nonce \
  -CAfile "$CA" 2>&1)" || true
kw_ocsp_expect admin_revocation_stands revoked "$out" "$T/dev-c.pem"
if grep -q 'Reason: keyCompromise' <<<"$out"; then
  kw_pass admin_reason_stands
else
  kw_fail admin_reason_stands "$(kw_oneline "$out")"
fi

# ---- the directory stopped: nothing flips
kw_stop_pid "$STANDIN_PID"
kw_forget_pid "$STANDIN_PID"
write_devices dev-a:false:false dev-b:true:false dev-c:true:false
sleep $((3 * INTERVAL_S + 1))
kw_ocsp_check outage_good_stays_good good "$URL" "$CA" "$T/dev-a.pem" "$CA"
kw_ocsp_check outage_deleted_stays_revoked revoked "$URL" "$CA" "$T/dev-b.pem" "$CA"
metrics="$(curl -sS --max-time 5 "http://127.0.0.1:$HOOK_PORT/metrics" 2>&1)" || true
if grep -q 'keyward_directory_up{directory="fleet",kind="http-json"} 0' <<<"$metrics" &&
  grep -Eq 'keyward_directory_sync_failures_total\{directory="fleet",kind="http-json"\} [1-9]' <<<"$metrics"; then
  kw_pass outage_in_metrics
  kw_note "$(grep -E '^keyward_directory_(sync_failures_total|changes_applied_total)\{directory="fleet"' <<<"$metrics" | tr '\n' ' ')"
else
  kw_fail outage_in_metrics "$(kw_oneline "$metrics")"
fi
if grep -q 'directory fleet: sync failed' "$T/poller.log"; then
  kw_pass outage_in_log
else
  kw_fail outage_in_log "no 'directory fleet: sync failed' in the poller log"
fi
# Back again: the change made meanwhile now applies.
start_standin
expect_status after_outage_change_applies dev-a revoked certificateHold

kw_alive "$POLLER_PID" && kw_pass poller_still_running || kw_fail poller_still_running "keyward-poller exited"
kw_alive "$RESPONDER_PID" && kw_pass responder_still_running ||
  kw_fail responder_still_running "keyward-responder exited"
kw_finish
