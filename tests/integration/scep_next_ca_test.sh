#!/usr/bin/env bash
# shellcheck disable=SC2153 # kw_free_port and kw_start_* assign variables by name
# GetNextCACert (RFC 8894 4.2.2) during a CA rollover: with [issuer]
# next_ca_cert set, GetCACaps lists GetNextCACert and the answer is a signed
# PKCS#7 whose content holds the next CA certificate; without it, no caps
# word and a 4xx.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
kw_init scep_next_ca
T="$KW_TMP"

kw_free_port redis_port
kw_free_port ocsp_port
kw_free_port scep_port
kw_start_redis redis_pid "$redis_port"
mkdir -p "$T/pki"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/next-ca.key" -out "$T/next-ca.pem" \
  -subj "/CN=demo CA 2027" -days 30 >/dev/null 2>&1 || kw_die "openssl req for the next CA"

# start_issuer NAME EXTRA_ISSUER_TOML: an issuer on scep_port with its own config.
start_issuer() {
  local name="$1" extra="$2" config="$T/$1.toml"
  kw_write_config "$config" "$redis_port" "$ocsp_port" "$(kw_ca_toml_keyward demo "$T/pki")" "
[issuer]
listen = [\"127.0.0.1:$scep_port\"]
ca = \"demo\"
challenge = \"static-secret\"
$extra"
  kw_cli out rc ca init --config "$config"
  [[ "$rc" == 0 ]] || kw_die "keyward ca init: $out"
  kw_start_daemon issuer_pid "$name" "$KEYWARD_BIN/keyward-issuer" --config "$config"
  kw_wait_url "http://127.0.0.1:$scep_port/scep?operation=GetCACaps" 40 "$issuer_pid" ||
    kw_die "keyward-issuer did not start: $(kw_oneline "$(tail -n 5 "$T/$name.log")")"
}
url="http://127.0.0.1:$scep_port/scep"

start_issuer rollover "next_ca_cert = \"$T/next-ca.pem\""
if curl -fsS "$url?operation=GetCACaps" | grep -qx GetNextCACert; then
  kw_pass caps_list_get_next_ca_cert
else
  kw_fail caps_list_get_next_ca_cert "GetCACaps lacks GetNextCACert"
fi
type="$(curl -sS -o "$T/next.p7" -w '%{content_type}' "$url?operation=GetNextCACert")"
if [[ "$type" == application/x-x509-next-ca-cert ]]; then
  kw_pass next_ca_content_type
else
  kw_fail next_ca_content_type "Content-Type '$type'"
fi
# Signed by the current CA's RA; its content is a certs-only PKCS#7.
if openssl cms -verify -inform DER -in "$T/next.p7" -binary -CAfile "$T/pki/demo-ca.pem" \
  -purpose any -out "$T/inner.der" >/dev/null 2>&1 &&
  openssl pkcs7 -inform DER -in "$T/inner.der" -print_certs -noout | grep -q "CN = demo CA 2027"; then
  kw_pass next_ca_signed_and_carries_the_next_ca
else
  kw_fail next_ca_signed_and_carries_the_next_ca "$(openssl cms -verify -inform DER -in "$T/next.p7" \
    -binary -CAfile "$T/pki/demo-ca.pem" -purpose any -out /dev/null 2>&1 | head -3)"
fi
kw_stop_pid "$issuer_pid"
kw_forget_pid "$issuer_pid"

start_issuer plain ""
if curl -fsS "$url?operation=GetCACaps" | grep -qx GetNextCACert; then
  kw_fail no_rollover_no_caps_word "GetCACaps lists GetNextCACert without a next CA"
else
  kw_pass no_rollover_no_caps_word
fi
code="$(curl -sS -o /dev/null -w '%{http_code}' "$url?operation=GetNextCACert")"
if [[ "$code" == 4* ]]; then kw_pass no_rollover_4xx; else kw_fail no_rollover_4xx "HTTP $code"; fi

kw_finish
