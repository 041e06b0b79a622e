#pragma once
// DetachCertificates: a pkiMessage's certificates taken out of its
// SignedData, so that OpenSSL parses the rest without decoding a public key
// and the certificates go through pki::ParseCertificate, which reads RSA keys
// directly (see shared/pki/deferred_key.h for why that matters). The
// signature covers only the signed attributes, so the message verifies the
// same without them; the certificates are handed to CMS_verify instead.
//
//   ContentInfo ::= SEQUENCE { contentType, [0] EXPLICIT SignedData }
//   SignedData ::= SEQUENCE { version, digestAlgorithms, encapContentInfo,
//     certificates [0] IMPLICIT SET OF Certificate OPTIONAL,
//     crls [1] IMPLICIT ... OPTIONAL, signerInfos }        (RFC 5652 5.1)
#include <string>
#include <vector>

#include "shared/der/bytes.h"

namespace keyward::scep {

struct DetachedCerts {
  std::string message;            // the ContentInfo DER without `certificates`
  std::vector<der::Bytes> certs;  // each Certificate TLV, spans into the input
};

// DetachCertificates fills `out` from a DER ContentInfo holding SignedData.
// False for anything else (BER with indefinite lengths, other content types,
// certificate choices other than Certificate, trailing bytes): callers then
// parse the message whole, as before.
bool DetachCertificates(der::Bytes der, DetachedCerts* out);

}  // namespace keyward::scep
