#pragma once
// OCSPRequest parsing (RFC 6960 4.1.1) over untrusted bytes: no heap, outputs
// are spans into the input.
#include <array>
#include <cstddef>
#include <cstdint>

#include "shared/der/bytes.h"
#include "shared/ocsp/cert_id.h"

namespace keyward::ocsp {

// Requests listing more certificates than this are answered malformedRequest.
constexpr size_t kMaxCertIdsPerRequest = 16;
// RFC 8954: a nonce of 1 to 32 octets.
constexpr size_t kMinNonceBytes = 1;
constexpr size_t kMaxNonceBytes = 32;

enum class NonceState : uint8_t {
  kAbsent,     // no nonce extension
  kValid,      // nonce holds 1..32 octets
  kMalformed,  // extension present but not an OCTET STRING of 1..32 octets
};

struct Request {
  std::array<CertId, kMaxCertIdsPerRequest> cert_ids{};
  size_t cert_id_count = 0;
  NonceState nonce_state = NonceState::kAbsent;
  // The nonce value (contents of the inner OCTET STRING), when kValid.
  der::Bytes nonce;
  // The whole extnValue contents of the nonce extension as received (set
  // whenever the extension is present, even when kMalformed), so a live
  // response can echo it byte for byte.
  der::Bytes nonce_extn_value;
  bool has_signature = false;  // optionalSignature present (we do not verify it)

  // NeedsLiveSigning: true when no precomputed response can answer: a nonce,
  // several CertIDs, or a CertID hash without a precomputed variant.
  bool NeedsLiveSigning() const;
};

enum class ParseError : uint8_t {
  kOk,
  kMalformed,       // any DER or structure error, trailing bytes
  kTooManyCertIds,  // more than kMaxCertIdsPerRequest
  kNoCertIds,       // empty requestList
  kBadNonce,        // nonce extension present but malformed or out of range
};

// ParseRequest parses a DER OCSPRequest. On success returns kOk and fills
// `out` with spans into `der`. Unknown non-critical extensions are ignored;
// an unknown critical request extension is kMalformed.
// A nonce whose extnValue is an OCTET STRING of 1..32 octets is kValid. An
// extnValue that is not a DER OCTET STRING is kBadNonce; so is an OCTET STRING
// of 0 or more than 32 octets, and so is a second nonce extension. (Some
// clients once sent the nonce bare; RFC 8954 requires the wrapping.)
// Structure errors win over the other codes: kMalformed is returned whenever
// the DER or the structure is wrong, else kNoCertIds / kTooManyCertIds (then
// cert_id_count is capped at kMaxCertIdsPerRequest), else kBadNonce.
// requestorName is checked to be one GeneralName of a valid tag form and the
// signature to have the Signature shape; neither is verified further.
[[nodiscard]] ParseError ParseRequest(der::Bytes der, Request* out);

}  // namespace keyward::ocsp
