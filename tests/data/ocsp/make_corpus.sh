#!/usr/bin/env bash
# Regenerates the OCSP request corpus: good/ (real requests from `openssl ocsp
# -reqout`, plus hand-built ones for what openssl cannot ask for) and bad/ (one
# failure mode per file), then the fuzz seed corpora under tests/fuzz/corpus/.
# Needs only bash, openssl and xxd. The outputs are committed, so CI does not
# run this; rerun it after changing the list and commit the results.
# Certificates and keys are fresh on each run, so hashes differ between runs.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
good=$here/good
bad=$here/bad
fuzz=$repo/tests/fuzz/corpus
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$good" "$bad"
mkdir -p "$good" "$bad"

# --- certificates ------------------------------------------------------------
cd "$work"
ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ec_key ca.key
openssl req -x509 -new -key ca.key -subj "/CN=Keyward Corpus CA" -days 3650 -out ca.pem \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
leaf() {  # leaf NAME SERIAL
  ec_key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$1" -out "$1.csr"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -set_serial "$2" -days 365 \
    -out "$1.pem" 2>/dev/null
}
leaf leaf1 0x1001
leaf leaf2 0x8AB1                                       # high bit: DER adds a 0x00 octet
leaf leaf3 0x7F0102030405060708090A0B0C0D0E0F10111213   # 20 octets, the RFC 5280 maximum
leaf client 0x2002

# --- real requests -------------------------------------------------------------
ocsp() { openssl ocsp -issuer ca.pem "$@"; }
ocsp -no_nonce -cert leaf1.pem -reqout "$good/sha1.der"
ocsp -no_nonce -sha256 -cert leaf1.pem -reqout "$good/sha256.der"
ocsp -no_nonce -sha384 -cert leaf1.pem -reqout "$good/sha384.der"
ocsp -no_nonce -sha512 -cert leaf1.pem -reqout "$good/sha512.der"
ocsp -nonce -cert leaf1.pem -reqout "$good/with_nonce.der"
ocsp -no_nonce -cert leaf1.pem -cert leaf2.pem -reqout "$good/two_cert_ids.der"
ocsp -no_nonce -cert leaf2.pem -reqout "$good/high_bit_serial.der"
ocsp -no_nonce -cert leaf3.pem -reqout "$good/serial_20_bytes.der"
# A signed request also carries requestorName (the signer's subject).
ocsp -nonce -cert leaf1.pem -signer client.pem -signkey client.key -reqout "$good/signed_request.der"

# --- DER building blocks (hex strings) ----------------------------------------
hexlen() {
  local n=$1
  if ((n < 128)); then printf '%02x' "$n"
  elif ((n < 256)); then printf '81%02x' "$n"
  else printf '82%04x' "$n"; fi
}
tlv() { printf '%s%s%s' "$1" "$(hexlen $((${#2} / 2)))" "$2"; }  # tlv TAG HEXBODY
emit() { printf '%s' "$2" | xxd -r -p >"$1"; }                    # emit FILE HEX
rep() { local out="" i; for ((i = 0; i < $2; i++)); do out+=$1; done; printf '%s' "$out"; }
# octet_strings FILE: the hex of every OCTET STRING in a DER file, one a line.
octet_strings() {
  openssl asn1parse -inform DER -in "$1" | sed -n 's/.*OCTET STRING *\[HEX DUMP\]://p'
}

SHA1_OID=2b0e03021a
SHA256_OID=608648016503040201
MD5_OID=2a864886f70d0205
NONCE_OID=2b0601050507300102
ACCEPTABLE_RESPONSES_OID=2b0601050507300104
SERVICE_LOCATOR_OID=2b0601050507300107
NULL=0500
TRUE=0101ff

NAME_HASH=$(octet_strings "$good/sha1.der" | sed -n 1p)
KEY_HASH=$(octet_strings "$good/sha1.der" | sed -n 2p)
NAME_HASH256=$(octet_strings "$good/sha256.der" | sed -n 1p)
KEY_HASH256=$(octet_strings "$good/sha256.der" | sed -n 2p)
SERIAL=02021001  # INTEGER 0x1001 (leaf1)

alg() { tlv 30 "$(tlv 06 "$1")${2-}"; }                        # alg OID [PARAMS]
certid_full() { tlv 30 "$1$(tlv 04 "$2")$(tlv 04 "$3")$4"; }   # ALG NAMEHASH KEYHASH SERIAL_TLV
CERTID=$(certid_full "$(alg $SHA1_OID $NULL)" "$NAME_HASH" "$KEY_HASH" "$SERIAL")
single() { tlv 30 "$1${2-}"; }                                  # single CERTID [EXTS]
list() { tlv 30 "$1"; }                                         # list SINGLES
ext() { tlv 30 "$(tlv 06 "$1")${2-}$(tlv 04 "$3")"; }           # ext OID CRIT VALUE
exts() { tlv 30 "$1"; }
reqexts() { tlv a2 "$(exts "$1")"; }
tbs() { tlv 30 "$1"; }
request() { tlv 30 "$(tbs "$1")${2-}"; }                        # request TBS_BODY [SIG]
LIST=$(list "$(single "$CERTID")")
SIMPLE=$(request "$LIST")
nonce_ext() { ext $NONCE_OID "" "$(tlv 04 "$1")"; }
with_exts() { request "$LIST$(reqexts "$1")"; }
NAME=$(tlv 30 "$(tlv 31 "$(tlv 30 "$(tlv 06 550403)$(tlv 0c "$(printf client | xxd -p)")")")")

# --- good, hand-built ----------------------------------------------------------
emit "$good/nonce_1_byte.der" "$(with_exts "$(nonce_ext 01)")"
emit "$good/nonce_32_bytes.der" "$(with_exts "$(nonce_ext "$(rep 5a 32)")")"
emit "$good/critical_nonce.der" "$(with_exts "$(ext $NONCE_OID $TRUE "$(tlv 04 "$(rep 11 16)")")")"
emit "$good/with_requestor_name.der" "$(request "$(tlv a1 "$(tlv a4 "$NAME")")$LIST")"
# version [0] INTEGER 0: DER would omit the DEFAULT, but v1 is what we speak.
emit "$good/version_0.der" "$(request "$(tlv a0 020100)$LIST")"
emit "$good/sha1_no_params.der" \
  "$(request "$(list "$(single "$(certid_full "$(alg $SHA1_OID)" "$NAME_HASH" "$KEY_HASH" "$SERIAL")")")")"
emit "$good/noncritical_unknown_extension.der" \
  "$(with_exts "$(ext $ACCEPTABLE_RESPONSES_OID "" "$(tlv 30 "$(tlv 06 2b0601050507300101)")")")"
emit "$good/explicit_false_critical.der" "$(with_exts "$(ext $ACCEPTABLE_RESPONSES_OID 010100 3000)")"
emit "$good/single_request_extension.der" \
  "$(request "$(list "$(single "$CERTID" "$(tlv a0 "$(exts "$(ext $SERVICE_LOCATOR_OID "" 3000)")")")")")"
emit "$good/sixteen_cert_ids.der" "$(request "$(list "$(rep "$(single "$CERTID")" 16)")")"
emit "$good/negative_serial.der" \
  "$(request "$(list "$(single "$(certid_full "$(alg $SHA1_OID $NULL)" "$NAME_HASH" "$KEY_HASH" 0201ff)")")")"

# --- bad: one failure mode each -----------------------------------------------
SHA1_HEX=$(xxd -p "$good/sha1.der" | tr -d '\n')
BODY=${SIMPLE:4}  # SIMPLE's contents (its length fits the short form)
: >"$bad/empty.der"
printf 'GET / HTTP/1.1\r\n\r\n' >"$bad/garbage.der"
emit "$bad/truncated.der" "${SHA1_HEX:0:$((${#SHA1_HEX} / 2))}"
emit "$bad/trailing_bytes.der" "${SHA1_HEX}0000"
emit "$bad/not_sequence.der" "31${SIMPLE:2}"
emit "$bad/primitive_sequence.der" "10${SIMPLE:2}"
emit "$bad/indefinite_length.der" "3080${BODY}0000"
emit "$bad/long_form_for_short.der" "3081${SIMPLE:2}"
emit "$bad/non_minimal_length.der" "308200$(printf '%02x' $((${#BODY} / 2)))${BODY}"
emit "$bad/length_octets_overflow.der" "3089ffffffffffffffff01${BODY}"
emit "$bad/length_past_end.der" "30$(printf '%02x' $((${#BODY} / 2 + 1)))${BODY}"
emit "$bad/high_tag_number.der" "3f20$(printf '%02x' $((${#BODY} / 2)))${BODY}"
emit "$bad/truncated_cert_id.der" \
  "$(request "$(list "$(single "$(tlv 30 "$(alg $SHA1_OID $NULL)$(tlv 04 "$NAME_HASH")$(tlv 04 "$KEY_HASH")")")")")"
emit "$bad/cert_id_extra_field.der" \
  "$(request "$(list "$(single "$(certid_full "$(alg $SHA1_OID $NULL)" "$NAME_HASH" "$KEY_HASH" "$SERIAL$NULL")")")")"
emit "$bad/wrong_hash_length.der" \
  "$(request "$(list "$(single "$(certid_full "$(alg $SHA1_OID $NULL)" "$NAME_HASH256" "$KEY_HASH256" "$SERIAL")")")")"
emit "$bad/unknown_hash_oid.der" \
  "$(request "$(list "$(single "$(certid_full "$(alg $MD5_OID $NULL)" "$(rep 00 16)" "$(rep 00 16)" "$SERIAL")")")")"
emit "$bad/hash_params_not_null.der" \
  "$(request "$(list "$(single "$(certid_full "$(alg $SHA1_OID 020100)" "$NAME_HASH" "$KEY_HASH" "$SERIAL")")")")"
emit "$bad/name_hash_wrong_tag.der" \
  "$(request "$(list "$(single "$(tlv 30 "$(alg $SHA1_OID $NULL)$(tlv 03 "00$NAME_HASH")$(tlv 04 "$KEY_HASH")$SERIAL")")")")"
emit "$bad/constructed_octet_string.der" \
  "$(request "$(list "$(single "$(tlv 30 "$(alg $SHA1_OID $NULL)$(tlv 24 "$(tlv 04 "$NAME_HASH")")$(tlv 04 "$KEY_HASH")$SERIAL")")")")"
emit "$bad/serial_too_long.der" \
  "$(request "$(list "$(single "$(certid_full "$(alg $SHA1_OID $NULL)" "$NAME_HASH" "$KEY_HASH" "$(tlv 02 "$(rep 11 33)")")")")")"
emit "$bad/serial_non_minimal.der" \
  "$(request "$(list "$(single "$(certid_full "$(alg $SHA1_OID $NULL)" "$NAME_HASH" "$KEY_HASH" 02020001)")")")"
emit "$bad/serial_empty.der" \
  "$(request "$(list "$(single "$(certid_full "$(alg $SHA1_OID $NULL)" "$NAME_HASH" "$KEY_HASH" 0200)")")")"
emit "$bad/zero_cert_ids.der" "$(request "$(list "")")"
emit "$bad/too_many_cert_ids.der" "$(request "$(list "$(rep "$(single "$CERTID")" 17)")")"
emit "$bad/missing_request_list.der" "$(request "")"
emit "$bad/single_request_extra_field.der" "$(request "$(list "$(single "$CERTID" $NULL)")")"
emit "$bad/tbs_extra_field.der" "$(request "$LIST$NULL")"
emit "$bad/fields_out_of_order.der" "$(request "$(reqexts "$(nonce_ext 01)")$LIST")"
emit "$bad/version_1.der" "$(request "$(tlv a0 020101)$LIST")"
emit "$bad/version_not_integer.der" "$(request "$(tlv a0 040100)$LIST")"
emit "$bad/explicit_tag_extra_element.der" "$(request "$(tlv a0 020100020100)$LIST")"
emit "$bad/requestor_name_empty.der" "$(request "$(tlv a1 "")$LIST")"
emit "$bad/requestor_name_bad_choice.der" "$(request "$(tlv a1 "$(tlv a9 "$NAME")")$LIST")"
emit "$bad/nonce_not_octet_string.der" "$(with_exts "$(ext $NONCE_OID "" "$(rep 3c 16)")")"
emit "$bad/nonce_empty.der" "$(with_exts "$(nonce_ext "")")"
emit "$bad/nonce_33_bytes.der" "$(with_exts "$(nonce_ext "$(rep 5a 33)")")"
emit "$bad/nonce_trailing_bytes.der" "$(with_exts "$(ext $NONCE_OID "" "$(tlv 04 "$(rep 11 16)")00")")"
emit "$bad/duplicate_nonce.der" "$(with_exts "$(nonce_ext 01)$(nonce_ext 02)")"
emit "$bad/critical_unknown_extension.der" "$(with_exts "$(ext $ACCEPTABLE_RESPONSES_OID $TRUE 3000)")"
emit "$bad/critical_unknown_single_extension.der" \
  "$(request "$(list "$(single "$CERTID" "$(tlv a0 "$(exts "$(ext $SERVICE_LOCATOR_OID $TRUE 3000)")")")")")"
emit "$bad/critical_not_der_boolean.der" "$(with_exts "$(ext $ACCEPTABLE_RESPONSES_OID 010101 3000)")"
emit "$bad/extension_missing_value.der" "$(with_exts "$(tlv 30 "$(tlv 06 $NONCE_OID)")")"
emit "$bad/extension_oid_non_minimal.der" "$(with_exts "$(ext 2b068001 "" 3000)")"
emit "$bad/extensions_not_sequence.der" "$(request "$LIST$(tlv a2 "$(tlv 31 "$(nonce_ext 01)")")")"
emit "$bad/signature_wrong_tag.der" "$(request "$LIST" "$(tlv a1 "$(tlv 30 "$(alg 2a8648ce3d040302)$(tlv 03 0000)")")")"
emit "$bad/signature_empty.der" "$(request "$LIST" "$(tlv a0 3000)")"
emit "$bad/signature_bad_unused_bits.der" "$(request "$LIST" "$(tlv a0 "$(tlv 30 "$(alg 2a8648ce3d040302)$(tlv 03 0800)")")")"

# --- fuzz seed corpora ----------------------------------------------------------
for target in reader_fuzz request_fuzz get_decoder_fuzz; do
  rm -rf "${fuzz:?}/$target"
  mkdir -p "$fuzz/$target"
done
for f in "$good"/*.der "$bad"/*.der; do
  name=$(basename "$(dirname "$f")")_$(basename "$f")
  cp "$f" "$fuzz/reader_fuzz/$name"
  cp "$f" "$fuzz/request_fuzz/$name"
done
# GET targets in the forms clients send (see get_decoder.h).
for f in "$good"/sha1.der "$good"/with_nonce.der "$good"/two_cert_ids.der "$good"/sha256.der; do
  b64=$(openssl base64 -A -in "$f")
  name=$(basename "$f" .der)
  printf '/%s' "$b64" >"$fuzz/get_decoder_fuzz/${name}_raw"
  printf '/%s' "$(printf '%s' "$b64" | sed 's/+/%2B/g; s#/#%2F#g; s/=/%3D/g')" \
    >"$fuzz/get_decoder_fuzz/${name}_encoded"
  printf '/ocsp/%s' "$(printf '%s' "$b64" | sed 's/=/%3d/g')" >"$fuzz/get_decoder_fuzz/${name}_macos"
  printf '/%s' "$(printf '%s' "$b64" | sed 's/=//g')" >"$fuzz/get_decoder_fuzz/${name}_unpadded"
  printf '/%s' "$(printf '%s' "$b64" | fold -w 64 | sed 's/$/%0A/' | tr -d '\n')" \
    >"$fuzz/get_decoder_fuzz/${name}_cisco"
done
echo "good: $(ls "$good" | wc -l) files, bad: $(ls "$bad" | wc -l) files"
