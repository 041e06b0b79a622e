#pragma once
// CertRecord: what the store knows about one certificate, and StoredResponse:
// one precomputed, signed OCSP response for it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "shared/ocsp/cert_id.h"
#include "shared/ocsp/status.h"

namespace keyward::store {

// Where a record's status comes from. A record from an index.txt or a CRL
// follows that file; a Keyward record is changed only by Keyward itself.
enum class Source : uint8_t { kKeyward = 0, kIndex = 1, kCrl = 2, kDirectory = 3 };
std::string_view SourceName(Source s);
std::optional<Source> SourceFromName(std::string_view name);

struct CertRecord {
  std::string ca;
  std::string serial_hex;  // ocsp::SerialHex form
  ocsp::CertStatus status = ocsp::CertStatus::kGood;
  int64_t revoked_at = 0;  // unix seconds; 0 unless revoked
  ocsp::RevocationReason reason = ocsp::RevocationReason::kNone;
  int64_t not_before = 0;
  int64_t not_after = 0;
  std::string subject;    // RFC 2253 text
  std::string device_id;  // "" when the CA has no device_id rule
  Source source = Source::kKeyward;
  int64_t updated_at = 0;
};

// StoredResponse: signed DER plus the fields the responder needs without
// parsing it (cache headers, status for live signing).
struct StoredResponse {
  ocsp::CertStatus status = ocsp::CertStatus::kGood;
  ocsp::RevocationReason reason = ocsp::RevocationReason::kNone;
  int64_t revoked_at = 0;
  int64_t this_update = 0;
  int64_t next_update = 0;
  std::string der;  // the whole OCSPResponse
};

// Blob layout in Redis (all integers big-endian):
//   u8 version (=1) | u8 status | u8 reason | i64 revoked_at | i64 this_update
//   | i64 next_update | DER...
constexpr size_t kResponseBlobHeader = 27;
std::string EncodeResponseBlob(const StoredResponse& r);
// DecodeResponseBlob: nullopt on a short blob, an unknown version or status.
std::optional<StoredResponse> DecodeResponseBlob(std::string_view blob);

}  // namespace keyward::store
