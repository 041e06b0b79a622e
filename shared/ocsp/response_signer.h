#pragma once
// ResponseSigner: builds and signs OCSP responses (RFC 6960 4.2) with a CA's
// delegated signer: ResponderID byKey, thisUpdate/nextUpdate, the signer
// certificate included. Thread-safe: signing only reads the key.
#include <cstdint>
#include <span>
#include <string>

#include "shared/der/bytes.h"
#include "shared/ocsp/cert_id.h"
#include "shared/ocsp/status.h"
#include "shared/pki/ca_material.h"
#include "shared/result.h"
#include "shared/store/record.h"

namespace keyward::ocsp {

struct Validity {
  int64_t now = 0;
  int64_t validity_s = 24 * 3600;
  int64_t backdate_s = 60;
};

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
  // `ca` must outlive the signer. Construction prepares the signing context
  // once (a few microseconds); reuse one signer for many responses.
  explicit ResponseSigner(const pki::CaMaterial& ca);

  // SignPrecomputed signs the response for `record` as a CertID with hash
  // `alg` (built from the CA certificate and the record's serial). The result
  // carries status and times for the store.
  Result<store::StoredResponse> SignPrecomputed(const store::CertRecord& record, HashAlg alg,
                                                const Validity& validity) const;

  // SignLive signs one response with a SingleResponse per item, in order.
  // `nonce_extn_value`, when non-empty, is echoed as the nonce extension's
  // extnValue byte for byte. Returns the whole OCSPResponse DER.
  Result<std::string> SignLive(std::span<const LiveItem> items, der::Bytes nonce_extn_value,
                               const Validity& validity) const;

  const pki::CaMaterial& ca() const { return ca_; }

 private:
  const pki::CaMaterial& ca_;
  // A digest-sign context initialised once for the signer key. Each
  // signature works on a copy, which skips the algorithm fetches OpenSSL 3
  // repeats in every EVP_DigestSignInit. Only read after construction, so
  // concurrent calls may share it. Null if initialisation failed; then each
  // call initialises its own.
  openssl::EvpMdCtxPtr sign_template_;
};

// The unsigned error answers (RFC 6960 4.2.1), precomputed: OCSPResponse with
// only responseStatus.
der::Bytes ErrorResponse(ResponseStatus status);

}  // namespace keyward::ocsp
