#pragma once
// The client side of SCEP (RFC 8894) for the enrollment load: GetCACert, a
// PKCSReq pkiMessage built the way MDM agents build it (CSR with a
// challengePassword, enveloped to the RA certificate, signed with a
// self-signed certificate of the new key), and a check of the CertRep.
// Written independently of shared/scep so the bench does not share the
// server's mistakes.
#include <string>
#include <vector>

#include "bench/load/commands.h"
#include "shared/openssl/ptr.h"
#include "shared/result.h"

namespace keyward::bench {

struct ScepServerCerts {
  openssl::X509Ptr ca;  // the self-signed one (or the only one)
  openssl::X509Ptr ra;  // the envelope recipient; the CA when it is alone
};

// GetCaCert asks `url` (path "/scep" or similar) for ?operation=GetCACert and
// picks the CA and RA certificates from the answer.
Result<ScepServerCerts> GetCaCert(const HttpUrl& url);

struct ScepRequest {
  std::string der;  // the pkiMessage
  std::string transaction_id;
  std::string sender_nonce;  // 16 octets
  EVP_PKEY* key = nullptr;   // borrowed from the key pool
};

// BuildPkcsReq makes one PKCSReq for `key` with subject CN=`cn`.
Result<ScepRequest> BuildPkcsReq(EVP_PKEY* key, const std::string& cn, const std::string& challenge,
                                 X509* ra);

// CheckCertRep returns "" when `answer` is a CertRep with pkiStatus SUCCESS,
// our transactionID, our nonce as recipientNonce, a valid signature by one of
// the server's certificates, and, decrypted with our key, a certificate for
// our key signed by the CA. Otherwise it says what is wrong.
std::string CheckCertRep(const std::string& answer, const ScepRequest& req,
                         const ScepServerCerts& certs);

// PkiStatusOf: the pkiStatus attribute ("0" success, "2" failure, "3"
// pending), "" when unreadable. Cheap enough to run on every answer.
std::string PkiStatusOf(const std::string& answer);

}  // namespace keyward::bench
