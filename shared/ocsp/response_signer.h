#pragma once
// ResponseSigner: builds and signs OCSP responses (RFC 6960 4.2) with a CA's
// delegated signer: ResponderID byKey, thisUpdate/nextUpdate, the signer
// certificate included. Thread-safe: signing only reads the key.
//
// Responses are encoded by ResponseTemplate (one signature and a few hundred
// bytes of copying each); a signer key it cannot use falls back to OpenSSL's
// OCSP encoder, which gives the same bytes more slowly.
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "shared/der/bytes.h"
#include "shared/ocsp/cert_id.h"
#include "shared/ocsp/issuer_cert_ids.h"
#include "shared/ocsp/response_template.h"
#include "shared/ocsp/status.h"
#include "shared/ocsp/validity.h"
#include "shared/pki/ca_material.h"
#include "shared/result.h"
#include "shared/store/record.h"

namespace keyward::ocsp {

// One SingleResponse in a live answer: the request's CertID echoed byte for
// byte, and the status to state for it.
struct LiveItem {
  der::Bytes cert_id_der;  // whole CertID TLV from the request
  CertStatus status = CertStatus::kUnknown;
  RevocationReason reason = RevocationReason::kNone;
  int64_t revoked_at = 0;
  // RFC 6960 2.2: "revoked" for a serial never issued, with the
  // extended-revoked extension in the response.
  bool extended_revoked = false;
};

class ResponseSigner {
 public:
  // `ca` must outlive the signer. Construction learns the template and the
  // issuer's CertID hashes once (about a millisecond); reuse one signer for
  // many responses.
  explicit ResponseSigner(const pki::CaMaterial& ca);

  // SignPrecomputed signs the response for `record` as a CertID with hash
  // `alg` (built from the CA certificate and the record's serial). The result
  // carries status and times for the store.
  Result<store::StoredResponse> SignPrecomputed(const store::CertRecord& record, HashAlg alg,
                                                const Validity& validity) const;

  // SignLive signs one response with a SingleResponse per item, in order.
  // Each item's CertID is echoed byte for byte, so the response names the
  // certificate exactly as the client did, with any hash algorithm.
  // `nonce_extn_value`, when non-empty, is echoed as the nonce extension's
  // extnValue byte for byte. Returns the whole OCSPResponse DER.
  Result<std::string> SignLive(std::span<const LiveItem> items, der::Bytes nonce_extn_value,
                               const Validity& validity) const;

  const pki::CaMaterial& ca() const { return ca_; }

 private:
  Result<std::string> Encode(std::span<const SingleAnswer> answers, der::Bytes nonce,
                             bool extended_revoked, const Validity& validity) const;

  const pki::CaMaterial& ca_;
  // Null when the signer key is one ResponseTemplate cannot sign with.
  std::unique_ptr<ResponseTemplate> template_;
  Result<IssuerCertIds> cert_ids_;
};

// The unsigned error answers (RFC 6960 4.2.1), precomputed: OCSPResponse with
// only responseStatus.
der::Bytes ErrorResponse(ResponseStatus status);

}  // namespace keyward::ocsp
