#!/usr/bin/env bash
# shellcheck disable=SC2153 # kw_free_port and kw_start_* assign variables by name
# The `keyward` admin CLI as an operator meets it: --help everywhere, ca init,
# issue, status for good/revoked/unknown serials, and one clear error line with
# a non-zero exit for each mistake.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
kw_init core_cli keyward
T="$KW_TMP"
out="" rc=""  # set by kw_cli
K="$KEYWARD_BIN/keyward"

# --- --help ---------------------------------------------------------------------------
for exe in keyward keyward-responder keyward-issuer keyward-poller keyward-bench; do
  if [[ ! -x "$KEYWARD_BIN/$exe" ]]; then
    kw_fail "help_$exe" "missing $KEYWARD_BIN/$exe"
    continue
  fi
  rc=0
  out="$(timeout 10 "$KEYWARD_BIN/$exe" --help 2>&1)" || rc=$?
  if [[ "$rc" == 0 && -n "$out" ]]; then
    kw_pass "help_$exe"
  else
    kw_fail "help_$exe" "$exe --help: exit $rc: $(kw_oneline "$out")"
  fi
done
for sub in "ca init" issue revoke status; do
  rc=0
  # shellcheck disable=SC2086 # the subcommand is two words on purpose
  out="$(timeout 10 "$K" $sub --help 2>&1)" || rc=$?
  if [[ "$rc" == 0 ]] && grep -q -- --config <<<"$out"; then
    kw_pass "help_keyward_${sub// /_}"
  else
    kw_fail "help_keyward_${sub// /_}" "keyward $sub --help: exit $rc (want 0 and --config listed): $(kw_oneline "$out")"
  fi
done

# --- ca init --------------------------------------------------------------------------
kw_free_port REDIS_PORT
kw_free_port HTTP_PORT
kw_start_redis REDIS_PID "$REDIS_PORT"
mkdir -p "$T/pki"
CONFIG="$T/keyward.toml"
kw_write_config "$CONFIG" "$REDIS_PORT" "$HTTP_PORT" "$(kw_ca_toml_keyward demo "$T/pki")"
kw_ca_init "$CONFIG"
CA="$T/pki/demo-ca.pem"
missing=()
for f in demo-ca.pem demo-ca.key demo-ocsp.pem demo-ocsp.key; do
  [[ -s "$T/pki/$f" ]] || missing+=("$f")
done
if ((${#missing[@]} == 0)); then kw_pass ca_init_creates_files; else kw_fail ca_init_creates_files "missing: ${missing[*]}"; fi
bad_modes=()
for f in "$T"/pki/*.key; do
  [[ "$(stat -c %a "$f")" == 600 ]] || bad_modes+=("$(basename "$f")=$(stat -c %a "$f")")
done
if ((${#bad_modes[@]} == 0)); then kw_pass ca_init_keys_mode_0600; else kw_fail ca_init_keys_mode_0600 "${bad_modes[*]}"; fi
out="$(openssl verify -CAfile "$CA" -purpose ocsphelper "$T/pki/demo-ocsp.pem" 2>&1)" || true
if grep -q ': OK' <<<"$out" && openssl x509 -in "$T/pki/demo-ocsp.pem" -noout -ext extendedKeyUsage 2>/dev/null | grep -q 'OCSP Signing'; then
  kw_pass ca_init_ocsp_signer_delegated
else
  kw_fail ca_init_ocsp_signer_delegated "signer does not chain to the CA with EKU OCSPSigning: $(kw_oneline "$out")"
fi
before="$(sha256sum "$T"/pki/* | sort)"
kw_cli out rc ca init --config "$CONFIG"
after="$(sha256sum "$T"/pki/* | sort)"
if [[ "$rc" == 0 && "$before" == "$after" ]]; then
  kw_pass ca_init_idempotent
else
  kw_fail ca_init_idempotent "second ca init: exit $rc, files changed: $([[ "$before" == "$after" ]] && echo no || echo yes): $(kw_oneline "$out")"
fi

# --- issue ----------------------------------------------------------------------------
kw_issue "$CONFIG" demo good good.example
out="$(openssl verify -CAfile "$CA" "$T/good.pem" 2>&1)" || true
if grep -q ': OK' <<<"$out"; then kw_pass issue_chains_to_ca; else kw_fail issue_chains_to_ca "$(kw_oneline "$out")"; fi
subj="$(openssl x509 -in "$T/good.pem" -noout -subject 2>&1)"
if grep -q 'CN *= *good.example' <<<"$subj"; then kw_pass issue_keeps_subject; else kw_fail issue_keeps_subject "$subj"; fi

kw_make_csr short short.example
kw_cli out rc issue --config "$CONFIG" --ca demo --csr "$T/short.csr" --out "$T/short.pem" --days 10
if [[ "$rc" == 0 && -s "$T/short.pem" ]]; then
  end="$(date -u -d "$(openssl x509 -in "$T/short.pem" -noout -enddate | sed 's/^notAfter=//')" +%s)"
  days=$(((end - $(date -u +%s) + 43200) / 86400))
  if ((days == 10)); then kw_pass issue_days; else kw_fail issue_days "--days 10 gave a certificate valid for $days days"; fi
else
  kw_fail issue_days "keyward issue --days 10: exit $rc: $(kw_oneline "$out")"
fi

# --- status ---------------------------------------------------------------------------
SERIAL="$(kw_serial "$T/good.pem")"
kw_cli out rc status --config "$CONFIG" --ca demo --serial "$SERIAL"
if [[ "$rc" == 0 ]] && grep -qiw good <<<"$out"; then kw_pass status_good; else kw_fail status_good "exit $rc: $(kw_oneline "$out")"; fi
kw_note "status (good): $(kw_oneline "$out")"
kw_cli out rc status --config "$CONFIG" --ca demo --serial "${SERIAL,,}"
if [[ "$rc" == 0 ]] && grep -qiw good <<<"$out"; then kw_pass status_lowercase_serial; else kw_fail status_lowercase_serial "exit $rc: $(kw_oneline "$out")"; fi

kw_revoke "$CONFIG" demo "$SERIAL" keyCompromise
kw_cli out rc status --config "$CONFIG" --ca demo --serial "$SERIAL"
if [[ "$rc" == 0 ]] && grep -qiw revoked <<<"$out"; then kw_pass status_revoked; else kw_fail status_revoked "exit $rc: $(kw_oneline "$out")"; fi
if grep -q keyCompromise <<<"$out"; then kw_pass status_shows_reason; else kw_fail status_shows_reason "no keyCompromise in: $(kw_oneline "$out")"; fi
kw_note "status (revoked): $(kw_oneline "$out")"

kw_cli out rc status --config "$CONFIG" --ca demo --serial 0DEADBEEF0DEADBEEF
if grep -qiw unknown <<<"$out"; then kw_pass status_unknown; else kw_fail status_unknown "exit $rc: $(kw_oneline "$out")"; fi
kw_note "status (unknown serial): exit $rc: $(kw_oneline "$out")"

# --- errors: one clear line, non-zero exit ----------------------------------------------
# expect_error NAME PATTERN ARGS...: keyward ARGS must exit non-zero with exactly
# one line of output that matches PATTERN (extended regex, case-insensitive).
expect_error() {
  local name="$1" pattern="$2"
  shift 2
  local out rc lines
  kw_cli out rc "$@"
  lines="$(grep -c . <<<"$out" || true)"
  if [[ "$rc" == 0 ]]; then
    kw_fail "$name" "keyward $*: exit 0, want an error: $(kw_oneline "$out")"
  elif [[ "$rc" == 124 ]]; then
    kw_fail "$name" "keyward $*: still running after 30 s"
  elif [[ "$lines" != 1 ]]; then
    kw_fail "$name" "keyward $*: want one line, got $lines: $(kw_oneline "$out")"
  elif ! grep -qiE "$pattern" <<<"$out"; then
    kw_fail "$name" "keyward $*: the line does not name the problem ($pattern): $out"
  else
    kw_pass "$name"
    kw_note "$name: exit $rc: $out"
  fi
}
expect_error error_missing_config "$T/nope.toml" status --config "$T/nope.toml" --ca demo --serial 01
expect_error error_unknown_ca "nosuch" status --config "$CONFIG" --ca nosuch --serial 01
expect_error error_bad_serial "serial|hex|xyz" status --config "$CONFIG" --ca demo --serial xyz
expect_error error_bad_reason "reason|notareason" revoke --config "$CONFIG" --ca demo --serial 01 --reason notareason
expect_error error_revoke_unknown_ca "nosuch" revoke --config "$CONFIG" --ca nosuch --serial 01
expect_error error_issue_missing_csr "$T/nope.csr|csr" issue --config "$CONFIG" --ca demo --csr "$T/nope.csr" --out "$T/x.pem"
echo 'this is not a CSR' >"$T/garbage.csr"
expect_error error_issue_garbage_csr "csr|request|pem" issue --config "$CONFIG" --ca demo --csr "$T/garbage.csr" --out "$T/x.pem"
printf '[store\nredis = 1\n' >"$T/broken.toml"
expect_error error_broken_toml "broken.toml" status --config "$T/broken.toml" --ca demo --serial 01

# Redis unreachable: a clear error, not a hang.
kw_free_port DEAD_PORT
kw_write_config "$T/dead.toml" "$DEAD_PORT" "$HTTP_PORT" "$(kw_ca_toml_keyward demo "$T/pki")"
expect_error error_redis_down "redis|connect|127.0.0.1:$DEAD_PORT" status --config "$T/dead.toml" --ca demo --serial "$SERIAL"
kw_finish
