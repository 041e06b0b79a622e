#pragma once
// ScepService: the SCEP operations (RFC 8894 4) as an HTTP handler, served at
// /scep, /scep/pkiclient.exe and /cgi-bin/pkiclient.exe:
//   GetCACaps      text/plain caps
//   GetCACert      application/x-x509-ca-cert (the CA alone) or
//                  application/x-x509-ca-ra-cert (degenerate PKCS#7: RA, CA)
//   GetNextCACert  application/x-x509-next-ca-cert, when a rollover is configured
//   PKIOperation   GET ?message=base64 or POST DER: application/x-pki-message
// A body that is not a pkiMessage gets 400; a readable but refused one a
// CertRep FAILURE. Handle is thread-safe and never throws.
#include <memory>
#include <string>
#include <vector>

#include "issuer/backend_pool.h"
#include "issuer/enroller.h"
#include "shared/config/config.h"
#include "shared/http/message.h"
#include "shared/pki/ca_material.h"
#include "shared/result.h"
#include "shared/scep/cert_rep.h"
#include "shared/scep/pki_message.h"

namespace keyward::issuer {

class ScepService {
 public:
  // Create checks that the issuing CA has its key and an RSA key for key
  // transport (the RA's, or the CA's own), and precomputes the static answers.
  // `cfg` and `cas` must outlive the service.
  static Result<std::unique_ptr<ScepService>> Create(const config::Config& cfg,
                                                     const std::vector<pki::CaMaterial>& cas,
                                                     BackendPool& backends, Clock clock);

  http::Response Handle(const http::Request& request);

 private:
  ScepService(const config::Config& cfg, const std::vector<pki::CaMaterial>& cas,
              const pki::CaMaterial& ca, BackendPool& backends, Clock clock);

  http::Response PkiOperation(const std::string& der, const std::string& remote);
  http::Response CertRep(const scep::PkiMessage& msg, Outcome outcome);

  const config::Config& cfg_;
  const pki::CaMaterial& ca_;
  Enroller enroller_;
  std::vector<scep::Decrypter> decrypters_;
  scep::CertRepSigner signer_;
  scep::WeakAlgorithms weak_;
  std::string caps_;
  http::Response ca_cert_;
  http::Response next_ca_cert_;  // status 404 when no rollover is configured
  openssl::X509Ptr next_ca_;
};

}  // namespace keyward::issuer
