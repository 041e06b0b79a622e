#pragma once
// Parsing certificates and CSRs without OpenSSL 3.0 decoding their public key.
//
// OpenSSL 3.0 decodes the SubjectPublicKeyInfo of every certificate or CSR it
// parses, and builds a fresh decoder chain each time: about 100 µs of CPU per
// key, a third of an RSA-2048 signature. X509_set_pubkey with such a key costs
// twice that again (encoder, then decoder). An enrollment would pay this four
// times over for keys it reads once. Here the structure is parsed in a library
// context with no decoders (the key is left undecoded), and RSA keys, what
// SCEP clients have, are read straight from their RSAPublicKey bytes.
#include <openssl/x509.h>

#include "shared/der/bytes.h"
#include "shared/openssl/ptr.h"

namespace keyward::pki {

// ParseCsrDeferringKey parses a DER CSR (trailing bytes ignored, as
// d2i_X509_REQ does) without OpenSSL decoding its public key: the result's
// X509_REQ_get0_pubkey may be null, so callers use DecodePublicKey of its
// X509_REQ_get_X509_PUBKEY. Null when the bytes are not a CSR.
openssl::X509ReqPtr ParseCsrDeferringKey(der::Bytes der);

// ParseCertificate parses one DER certificate (the whole input) as
// d2i_X509 does, except that an rsaEncryption key is read directly
// (RsaPublicKeyOf) instead of through OpenSSL's decoders; other keys, and
// any key whose re-encoding would differ from the certificate's bytes, take
// the d2i_X509 path. X509_get0_pubkey works on the result either way. Null
// when the bytes are not a certificate.
openssl::X509Ptr ParseCertificate(der::Bytes der);

// RsaPublicKeyOf: the key of an rsaEncryption SubjectPublicKeyInfo, read
// directly (a few µs); null for any other algorithm or a malformed key. The
// key is one X509_set_pubkey encodes without OpenSSL's encoders.
openssl::EvpPkeyPtr RsaPublicKeyOf(const X509_PUBKEY* spki);

// DecodePublicKey: RsaPublicKeyOf, or OpenSSL's decoders for other algorithms
// (EC, RSA-PSS). Null when the key cannot be decoded; the error queue is
// drained.
openssl::EvpPkeyPtr DecodePublicKey(const X509_PUBKEY* spki);

}  // namespace keyward::pki
