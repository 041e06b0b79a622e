#pragma once
// ResponseTemplate: the parts of a BasicOCSPResponse (RFC 6960 4.2.1) that
// are the same in every answer one signer gives (ResponderID, the signature
// algorithm, the signer certificate), encoded once, so that a response costs
// one signature and a few hundred bytes of copying: no OpenSSL ASN.1 objects
// are built, and nothing is encoded twice.
//
// The constant parts are learned from a response OpenSSL itself builds
// (BuildWithOpenssl), so both paths give the same bytes; with a
// deterministic signature (RSA PKCS#1 v1.5) they are identical, which the
// tests check.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "shared/der/bytes.h"
#include "shared/ocsp/single_answer.h"
#include "shared/ocsp/validity.h"
#include "shared/pki/ca_material.h"
#include "shared/pki/prehash_signer.h"
#include "shared/result.h"

namespace keyward::ocsp {

class ResponseTemplate {
 public:
  // Learn builds the template for `ca`'s delegated signer. Fails for a
  // signer key PrehashSigner cannot use; the caller then signs with
  // BuildWithOpenssl. `ca` must outlive the template.
  static Result<std::unique_ptr<ResponseTemplate>> Learn(const pki::CaMaterial& ca);

  // Encode signs one OCSPResponse with a SingleResponse per answer, in
  // order. Each answer's CertID is copied as it is; the caller has checked
  // it is one DER TLV. `nonce_extn_value`, when non-empty, is the nonce
  // extension's extnValue contents. `extended_revoked` adds the RFC 6960 2.2
  // extended-revoke extension.
  Result<std::string> Encode(std::span<const SingleAnswer> answers, der::Bytes nonce_extn_value,
                             bool extended_revoked, const Validity& validity) const;

 private:
  ResponseTemplate() = default;

  std::unique_ptr<pki::PrehashSigner> signer_;
  std::vector<uint8_t> responder_id_;   // the ResponderID TLV ([2] byKey)
  std::vector<uint8_t> signature_alg_;  // the signatureAlgorithm TLV
  std::vector<uint8_t> certs_;          // the [0] certs TLV, or empty
};

}  // namespace keyward::ocsp
