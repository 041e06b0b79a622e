#!/usr/bin/env bash
# SCEP end to end with real clients: micromdm's scepclient (RSA-2048, PKCS#1
# key) and certmonger (its daemon on a private session bus drives
# /usr/lib/certmonger/scep-submit) enroll against a running keyward-issuer;
# scep-submit's own GetCACaps/GetCACert modes are checked too. The issued
# certificates must verify against the CA, `openssl ocsp` against a running
# keyward-responder must say good at once, and revoked after `keyward revoke`.
# Finally, with Redis stopped, an enrollment is refused and the issuer keeps
# serving GetCACaps.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

kw_init scep_clients
[[ -x "$KEYWARD_BIN/keyward-issuer" ]] || kw_die "missing $KEYWARD_BIN/keyward-issuer"
command -v scepclient >/dev/null || kw_die "scepclient (package scep) not installed"
[[ -x /usr/lib/certmonger/scep-submit ]] || kw_die "certmonger not installed"

kw_free_port redis_port
kw_free_port ocsp_port
kw_free_port scep_port
kw_start_redis redis_pid "$redis_port"

pki="$KW_TMP/pki"
mkdir -p "$pki"
# scepclient 2.1 encrypts to every certificate GetCACert returns and supports
# only RSA recipients, so this CA is RSA (an ECDSA CA works for clients that
# pick the RA certificate: see docs/scep.md).
ca_toml="$(kw_ca_toml_keyward demo "$pki")
key_type = \"rsa-2048\""
config="$KW_TMP/keyward.toml"
kw_write_config "$config" "$redis_port" "$ocsp_port" "$ca_toml" "
[issuer]
listen = [\"127.0.0.1:$scep_port\"]
ca = \"demo\"
challenge = \"static-secret\"
# scepclient 2.1 sends DES-CBC and SHA-1 whatever GetCACaps says.
legacy_clients = true"

kw_cli out rc ca init --config "$config"
[[ "$rc" == 0 ]] || kw_die "keyward ca init: $out"
kw_start_responder responder_pid "$config" "$ocsp_port"
kw_start_daemon issuer_pid issuer "$KEYWARD_BIN/keyward-issuer" --config "$config"
scep_url="http://127.0.0.1:$scep_port/scep"
kw_wait_url "$scep_url?operation=GetCACaps" 40 "$issuer_pid" ||
  kw_die "keyward-issuer did not answer GetCACaps: $(kw_oneline "$(tail -n 5 "$KW_TMP/issuer.log")")"
ca="$pki/demo-ca.pem"

# --- GetCACaps / GetCACert as raw HTTP
caps="$(curl -fsS "$scep_url?operation=GetCACaps")"
if grep -qx POSTPKIOperation <<<"$caps" && grep -qx AES <<<"$caps" && grep -qx SHA-256 <<<"$caps"; then
  kw_pass scep_getcacaps
else
  kw_fail scep_getcacaps "caps: $(kw_oneline "$caps")"
fi
ctype="$(curl -fsS -o "$KW_TMP/cacert.p7" -w '%{content_type}' "$scep_url?operation=GetCACert")"
if [[ "$ctype" == application/x-x509-ca-ra-cert ]] &&
  openssl pkcs7 -inform DER -in "$KW_TMP/cacert.p7" -print_certs -noout >/dev/null 2>&1; then
  kw_pass scep_getcacert_ra_chain
else
  kw_fail scep_getcacert_ra_chain "content type '$ctype'"
fi

# scep_enroll NAME CHALLENGE: scepclient in its own directory (it writes
# csr.pem beside the key and reuses it on the next run) with a fresh RSA-2048
# PKCS#1 key; the certificate lands in $KW_TMP/NAME/cert.pem. Output in $out.
scep_enroll() {
  local dir="$KW_TMP/$1"
  mkdir -p "$dir"
  openssl genrsa -traditional -out "$dir/key.pem" 2048 2>/dev/null
  out="$(cd "$dir" && timeout 60 scepclient -server-url "$scep_url" -private-key key.pem \
    -certificate cert.pem -challenge "$2" -cn "scep-$1" -keySize 2048 2>&1)" &&
    [[ -s "$dir/cert.pem" ]]
}

# --- scepclient (micromdm) with an RSA-2048 PKCS#1 key
if scep_enroll sc static-secret; then
  kw_pass scepclient_enroll
else
  kw_fail scepclient_enroll "$(kw_oneline "$out")"
fi
kw_check scepclient_cert_verifies openssl verify -CAfile "$ca" "$KW_TMP/sc/cert.pem"

# --- a wrong challenge is refused and nothing is issued
before="$(redis-cli -p "$redis_port" --scan --pattern 'kw:cert:*' | wc -l)"
if scep_enroll bad wrong-challenge; then
  kw_fail scepclient_wrong_challenge "enrolled with a wrong challenge"
else
  after="$(redis-cli -p "$redis_port" --scan --pattern 'kw:cert:*' | wc -l)"
  if [[ "$before" == "$after" ]] && grep -q 'failInfo: badRequest' <<<"$out"; then
    kw_pass scepclient_wrong_challenge
  else
    kw_fail scepclient_wrong_challenge "records $before -> $after: $(kw_oneline "$out")"
  fi
fi

# --- scep-submit's own operations
ss=/usr/lib/certmonger/scep-submit
if out="$(timeout 30 "$ss" -u "$scep_url" -c 2>&1)" && grep -q POSTPKIOperation <<<"$out"; then
  kw_pass scep_submit_getcacaps
else
  kw_fail scep_submit_getcacaps "$(kw_oneline "$out")"
fi
if out="$(timeout 30 "$ss" -u "$scep_url" -C 2>&1)" && [[ "$(grep -c 'BEGIN CERTIFICATE' <<<"$out")" -ge 2 ]]; then
  kw_pass scep_submit_getcacert
else
  kw_fail scep_submit_getcacert "$(kw_oneline "$out")"
fi

# --- certmonger: the daemon on a private session bus builds the PKCSReq and
# runs scep-submit for the PKIOperation.
cm="$KW_TMP/certmonger"
mkdir -p "$cm"
cat >"$cm/run.sh" <<EOS
getcert add-scep-ca -s -c KW -u "$scep_url" || exit 10
getcert request -s -c KW -k "$cm/cm.key" -f "$cm/cm.pem" -L static-secret -N CN=certmonger-1 \
  -I cm1 -w -v || exit 11
getcert list -s -i cm1
EOS
if command -v dbus-run-session >/dev/null && command -v certmonger >/dev/null; then
  # Every directory certmonger writes to is private to this run (as root it
  # would otherwise use /var/lib/certmonger even on the session bus).
  mkdir -p "$cm/cas" "$cm/requests" "$cm/local" "$cm/config" "$cm/tmp"
  if out="$(cd "$cm" && HOME="$cm" XDG_CONFIG_HOME="$cm/config" XDG_DATA_HOME="$cm/data" \
    CERTMONGER_CAS_DIR="$cm/cas" CERTMONGER_REQUESTS_DIR="$cm/requests" \
    CERTMONGER_LOCAL_CA_DIR="$cm/local" CERTMONGER_CONFIG_DIR="$cm/config" \
    CERTMONGER_TMPDIR="$cm/tmp" CERTMONGER_SYSTEM_LOCK_FILE="$cm/lock" \
    timeout 120 dbus-run-session -- certmonger -s -n -c "bash $cm/run.sh" 2>&1)" &&
    [[ -s "$cm/cm.pem" ]] && grep -q 'status: MONITORING' <<<"$out"; then
    kw_pass certmonger_scep_enroll
  else
    kw_fail certmonger_scep_enroll "$(kw_oneline "$out")"
  fi
  kw_check certmonger_cert_verifies openssl verify -CAfile "$ca" "$cm/cm.pem"
else
  kw_fail certmonger_scep_enroll "dbus-run-session or certmonger missing"
fi

# --- the responder knows both certificates at once, and revocation works
ocsp_url="http://127.0.0.1:$ocsp_port/"
for cert in "$KW_TMP/sc/cert.pem" "$cm/cm.pem"; do
  [[ -s "$cert" ]] || continue
  name="$(basename "$(dirname "$cert")")"
  kw_ocsp_check "ocsp_good_$name" good "$ocsp_url" "$ca" "$cert" "$ca"
  serial="$(kw_serial "$cert")"
  kw_cli out rc revoke --config "$config" --ca demo --serial "$serial" --reason keyCompromise
  [[ "$rc" == 0 ]] || kw_fail "revoke_$name" "$out"
  sleep 1
  kw_ocsp_check "ocsp_revoked_$name" revoked "$ocsp_url" "$ca" "$cert" "$ca"
done

# --- one-time challenges: `keyward challenge create`, used once by scepclient
kw_free_port otp_port
otp_config="$KW_TMP/keyward-otp.toml"
sed -e "s/127.0.0.1:$scep_port/127.0.0.1:$otp_port/" \
  -e 's/^challenge = "static-secret"/challenge_mode = "otp"/' "$config" >"$otp_config"
kw_start_daemon otp_pid issuer-otp "$KEYWARD_BIN/keyward-issuer" --config "$otp_config"
otp_url="http://127.0.0.1:$otp_port/scep"
kw_wait_url "$otp_url?operation=GetCACaps" 40 "$otp_pid" || kw_die "otp issuer did not start"
kw_cli otp rc challenge create --config "$otp_config" --ttl 600
otp="$(grep -Eo '^[0-9a-f]{40}$' <<<"$otp" | head -n 1 || true)"
if [[ "$rc" == 0 && "$otp" =~ ^[0-9a-f]{40}$ ]] &&
  ! redis-cli -p "$redis_port" --scan --pattern 'kw:scep:otp:*' | grep -q "$otp"; then
  kw_pass challenge_create_stored_hashed
else
  kw_fail challenge_create_stored_hashed "rc=$rc out=$(kw_oneline "$otp")"
fi
saved_url="$scep_url"
scep_url="$otp_url"
if scep_enroll otp1 "$otp"; then kw_pass scepclient_otp_enroll; else
  kw_fail scepclient_otp_enroll "$(kw_oneline "$out")"
fi
if scep_enroll otp2 "$otp"; then kw_fail scepclient_otp_reuse_refused "second use enrolled"; else
  kw_pass scepclient_otp_reuse_refused
fi
scep_url="$saved_url"
kw_stop_pid "$otp_pid"
kw_forget_pid "$otp_pid"

# --- with Redis away: GetCACaps still served, enrollment refused
kw_stop_pid "$redis_pid"
kw_forget_pid "$redis_pid"
if curl -fsS "$scep_url?operation=GetCACaps" | grep -q AES; then
  kw_pass scep_serves_without_redis
else
  kw_fail scep_serves_without_redis "GetCACaps failed with Redis stopped"
fi
if scep_enroll away static-secret; then
  kw_fail scep_refuses_without_redis "issued with Redis stopped"
elif grep -q 'failInfo' <<<"$out" && grep -q 'store unavailable' "$KW_TMP/issuer.log"; then
  kw_pass scep_refuses_without_redis
else
  kw_fail scep_refuses_without_redis "$(kw_oneline "$out")"
fi
kw_check issuer_still_running kw_alive "$issuer_pid"

kw_finish
