#pragma once
// Building blocks for making certificates and key files, shared by `ca init`
// (ca_init.cc) and the issuer (cert_issuer.cc): key generation, subject text,
// serials, times, extensions, and files that are never overwritten.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shared/openssl/ptr.h"
#include "shared/result.h"

namespace keyward::pki {

// GenerateKey makes a fresh key: "ec-p256", "ec-p384", "rsa-2048", "rsa-3072"
// or "rsa-4096". Fails on any other name.
Result<openssl::EvpPkeyPtr> GenerateKey(std::string_view key_type);

// SignatureDigestFor picks the digest a signature with `key` uses: SHA-256 for
// RSA and P-256, SHA-384 for P-384, SHA-512 for P-521. Sets `*md` to null for
// keys that hash internally (Ed25519). False for a key type we do not sign with.
bool SignatureDigestFor(const EVP_PKEY* key, const EVP_MD** md);

// ParseSubject reads RFC 2253-style text ("CN=x,O=y"; the first RDN is the
// most specific, "\," escapes a comma) into a name, so that NameToRfc2253 of
// the result gives the same text back. Fails on an unknown attribute.
Result<openssl::X509NamePtr> ParseSubject(std::string_view text);

// NameToRfc2253 prints a name as RFC 2253 text (XN_FLAG_RFC2253).
std::string NameToRfc2253(const X509_NAME* name);

// Asn1TimeToUnix converts UTCTime/GeneralizedTime to unix seconds.
bool Asn1TimeToUnix(const ASN1_TIME* t, int64_t* out);

// RandomSerial: 16 random octets (RAND_bytes), top bit cleared and first octet
// non-zero, so the DER INTEGER is positive and exactly 16 octets long.
Result<openssl::Asn1IntegerPtr> RandomSerial();

// IntegerContents: the DER INTEGER contents octets of `v` (what a CertID
// carries and ocsp::SerialHex expects). Empty on failure.
std::vector<uint8_t> IntegerContents(const ASN1_INTEGER* v);

// AddConfExtension adds one extension written in OpenSSL's config syntax
// ("critical,CA:TRUE", "hash", "keyid:always") using `ctx` for issuer/subject.
Result<void> AddConfExtension(X509* cert, X509V3_CTX* ctx, int nid, const char* value);

// SignCertificate signs `cert` with `key` using SignatureDigestFor(key).
Result<void> SignCertificate(X509* cert, EVP_PKEY* key);

// SetValidity sets notBefore = from and notAfter = to (unix seconds).
Result<void> SetValidity(X509* cert, int64_t from, int64_t to);

// WritePrivateKeyFile writes `key` as unencrypted PKCS#8 PEM, mode 0600;
// WriteCertificateFile writes PEM, mode 0644. Both create missing parent
// directories and fail, leaving the file alone, if it already exists.
Result<void> WritePrivateKeyFile(const std::string& path, EVP_PKEY* key);
Result<void> WriteCertificateFile(const std::string& path, X509* cert);

}  // namespace keyward::pki
