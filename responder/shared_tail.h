#pragma once
// SignerCertsTail: the bytes a delegated signer's responses end with.
//
// A BasicOCSPResponse ends with its `[0] certs` field, and every response
// one signer gives carries the same signer certificate there: about 350 of
// the 750 bytes of a P-256 answer. The cache keeps that tail once per CA and
// each entry only the bytes before it (CacheEntry::Create), which cuts the
// memory of a million cached answers, and the page faults of warming them,
// by nearly half. An answer that does not end with exactly these bytes (a
// different signer, no certificate) is kept whole.
#include <openssl/x509.h>

#include <string>

namespace keyward::responder {

// SignerCertsTail: `[0] EXPLICIT SEQUENCE OF Certificate` holding `cert`
// alone, as RFC 6960 4.2.1 encodes it; empty for a null or unencodable cert.
std::string SignerCertsTail(const X509* cert);

}  // namespace keyward::responder
