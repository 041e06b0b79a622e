#pragma once
// CertRep (RFC 8894 3.3.2): the server's signed answer to every PKIOperation.
// SUCCESS carries the certificates (or a CRL) in a degenerate SignedData,
// encrypted to the requester's signer certificate with the requester's own
// cipher; every answer is signed with the requester's own digest and carries
// transactionID echoed, a fresh senderNonce and the request's senderNonce as
// recipientNonce.
#include <openssl/x509.h>

#include <optional>
#include <string>
#include <vector>

#include "shared/result.h"
#include "shared/scep/types.h"

namespace keyward::scep {

struct CertRepSigner {
  X509* cert = nullptr;  // RA certificate, or the CA's when it signs itself (borrowed)
  EVP_PKEY* key = nullptr;
  std::vector<X509*> extra_certs;  // included for path building (the CA certificate)
};

struct CertRepParams {
  PkiStatus status = PkiStatus::kFailure;
  FailInfo fail_info = FailInfo::kBadRequest;  // for kFailure
  std::string fail_text;  // for kFailure: failInfoText, a reason a person can read
  std::string transaction_id;
  std::string recipient_nonce;       // the request's senderNonce
  int digest_nid = NID_sha256;       // the request's digest
  int cipher_nid = NID_aes_128_cbc;  // the request's content cipher
  X509* recipient = nullptr;         // the request's signer: the envelope is for it (SUCCESS)
  std::vector<X509*> certs;          // SUCCESS: issued certificate first, then its chain
  X509_CRL* crl = nullptr;           // SUCCESS for GetCRL
};

// ReplyCipher: the cipher a CertRep answers with for a request's cipher. The
// client's own, except single DES (never used for an answer: 3DES, which
// every client offering DES also reads) and unknown ones (AES-128-CBC).
const EVP_CIPHER* ReplyCipher(int request_cipher_nid);
// ReplyDigest: the request's digest; SHA-256 for anything other than SHA-1/2.
const EVP_MD* ReplyDigest(int request_digest_nid);

// BuildCertRep returns the DER pkiMessage. Fails only on OpenSSL errors.
Result<std::string> BuildCertRep(const CertRepSigner& signer, const CertRepParams& params);

// DegenerateSignedData: a certs-only SignedData ContentInfo (DER), as
// GetCACert (RA + CA) and CertRep's envelope content use.
Result<std::string> DegenerateSignedData(const std::vector<X509*>& certs, X509_CRL* crl);

// RandomNonce: 16 random octets for senderNonce.
std::string RandomNonce();

}  // namespace keyward::scep
