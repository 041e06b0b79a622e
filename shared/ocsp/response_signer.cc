#include "shared/ocsp/response_signer.h"

#include <algorithm>
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "shared/der/reader.h"
#include "shared/ocsp/openssl_response_builder.h"

namespace keyward::ocsp {
namespace {

// IsOneCertId: `bytes` is exactly one well-formed CertID. The request
// parser has checked it already; this keeps a caller's mistake from putting
// stray bytes into a signed response.
bool IsOneCertId(der::Bytes bytes) {
  der::Reader r(bytes);
  CertId id;
  return ParseCertId(r, &id) && r.empty();
}

}  // namespace

ResponseSigner::ResponseSigner(const pki::CaMaterial& ca)
    : ca_(ca),
      cert_ids_(ca.cert ? IssuerCertIds::For(ca.cert.get())
                        : Result<IssuerCertIds>(Fail("CA '" + ca.name + "' has no certificate"))) {
  Result<std::unique_ptr<ResponseTemplate>> learned = ResponseTemplate::Learn(ca);
  if (learned) template_ = std::move(*learned);
  openssl::DrainErrors();  // a failure shows up, with its reason, when signing
}

Result<std::string> ResponseSigner::Encode(std::span<const SingleAnswer> answers, der::Bytes nonce,
                                           bool extended_revoked, const Validity& validity) const {
  if (template_) return template_->Encode(answers, nonce, extended_revoked, validity);
  return BuildWithOpenssl(ca_, answers, nonce, extended_revoked, validity);
}

Result<store::StoredResponse> ResponseSigner::SignPrecomputed(const store::CertRecord& record,
                                                              HashAlg alg,
                                                              const Validity& validity) const {
  if (!cert_ids_) return Fail(cert_ids_.error());
  std::vector<uint8_t> cert_id;
  Result<void> encoded = cert_ids_->Encode(alg, record.serial_hex, &cert_id);
  if (!encoded) return Fail("bad serial '" + record.serial_hex + "'");

  store::StoredResponse out;
  out.status = record.status;
  if (record.status == CertStatus::kRevoked) {
    out.reason = record.reason;
    out.revoked_at = record.revoked_at;
  }
  out.this_update = validity.now - validity.backdate_s;
  out.next_update = validity.now + validity.validity_s;
  const SingleAnswer single{cert_id, out.status, out.reason, out.revoked_at};
  Result<std::string> der = Encode(std::span(&single, 1), {}, false, validity);
  if (!der) return Fail(der.error());
  out.der = std::move(*der);
  return out;
}

Result<std::string> ResponseSigner::SignLive(std::span<const LiveItem> items,
                                             der::Bytes nonce_extn_value,
                                             const Validity& validity) const {
  if (items.empty()) return Fail("no CertID to answer for");
  // RFC 6960 requests name a handful of certificates at most; a small fixed
  // array keeps the common case off the heap.
  constexpr size_t kInline = 8;
  std::array<SingleAnswer, kInline> inline_answers;
  std::vector<SingleAnswer> heap_answers;
  std::span<SingleAnswer> answers(inline_answers.data(), std::min(items.size(), kInline));
  if (items.size() > kInline) {
    heap_answers.resize(items.size());
    answers = heap_answers;
  }
  bool extended = false;
  for (size_t i = 0; i < items.size(); ++i) {
    const LiveItem& item = items[i];
    if (!IsOneCertId(item.cert_id_der)) {
      return Fail("malformed CertID in item " + std::to_string(i));
    }
    SingleAnswer& a = answers[i];
    a.cert_id = item.cert_id_der;
    if (item.extended_revoked) {
      // RFC 6960 2.2: a serial never issued is "revoked" on 1970-01-01 with
      // reason certificateHold, and the response says why.
      a.status = CertStatus::kRevoked;
      a.reason = RevocationReason::kCertificateHold;
      a.revoked_at = 0;
      extended = true;
    } else {
      a.status = item.status;
      a.reason = item.reason;
      a.revoked_at = item.revoked_at;
    }
  }
  return Encode(answers, nonce_extn_value, extended, validity);
}

der::Bytes ErrorResponse(ResponseStatus status) {
  // OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED } with no
  // responseBytes (RFC 6960 4.2.1): constant bytes, nothing allocated.
  static constexpr uint8_t kSuccessful[] = {0x30, 0x03, 0x0A, 0x01, 0x00};
  static constexpr uint8_t kMalformed[] = {0x30, 0x03, 0x0A, 0x01, 0x01};
  static constexpr uint8_t kInternal[] = {0x30, 0x03, 0x0A, 0x01, 0x02};
  static constexpr uint8_t kTryLater[] = {0x30, 0x03, 0x0A, 0x01, 0x03};
  static constexpr uint8_t kSigRequired[] = {0x30, 0x03, 0x0A, 0x01, 0x05};
  static constexpr uint8_t kUnauthorized[] = {0x30, 0x03, 0x0A, 0x01, 0x06};
  switch (status) {
    case ResponseStatus::kSuccessful:
      return kSuccessful;
    case ResponseStatus::kMalformedRequest:
      return kMalformed;
    case ResponseStatus::kInternalError:
      return kInternal;
    case ResponseStatus::kTryLater:
      return kTryLater;
    case ResponseStatus::kSigRequired:
      return kSigRequired;
    case ResponseStatus::kUnauthorized:
      return kUnauthorized;
  }
  return kInternal;
}

}  // namespace keyward::ocsp
