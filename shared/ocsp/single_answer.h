#pragma once
// SingleAnswer: what one SingleResponse of a BasicOCSPResponse states (RFC
// 6960 4.2.1): the CertID, encoded, and the status to give for it. The
// encoders take a span of these; the CertID bytes belong to the caller.
#include <cstdint>

#include "shared/der/bytes.h"
#include "shared/ocsp/status.h"

namespace keyward::ocsp {

struct SingleAnswer {
  der::Bytes cert_id;  // the whole CertID TLV
  CertStatus status = CertStatus::kUnknown;
  RevocationReason reason = RevocationReason::kNone;  // kNone: revokedInfo has no reason
  int64_t revoked_at = 0;
};

}  // namespace keyward::ocsp
