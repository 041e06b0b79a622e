#pragma once
// Certificate status as OCSP states it (RFC 6960 4.2.1, RFC 5280 5.3.1).
#include <cstdint>
#include <optional>
#include <string_view>

namespace keyward::ocsp {

enum class CertStatus : uint8_t { kGood = 0, kRevoked = 1, kUnknown = 2 };

// CRLReason values (RFC 5280 5.3.1). kNone means no reason is stated.
enum class RevocationReason : uint8_t {
  kUnspecified = 0,
  kKeyCompromise = 1,
  kCaCompromise = 2,
  kAffiliationChanged = 3,
  kSuperseded = 4,
  kCessationOfOperation = 5,
  kCertificateHold = 6,
  kRemoveFromCrl = 8,
  kPrivilegeWithdrawn = 9,
  kAaCompromise = 10,
  kNone = 0xFF,
};

std::string_view CertStatusName(CertStatus status);  // "good", "revoked", "unknown"
std::optional<CertStatus> CertStatusFromName(std::string_view name);
// ReasonName uses RFC 5280 spelling: "keyCompromise", "certificateHold", ...;
// "" for kNone.
std::string_view ReasonName(RevocationReason reason);
// ReasonFromName accepts the RFC spelling, case-insensitively, and the
// OpenSSL index.txt spelling ("keyCompromise", "CACompromise", ...,
// "holdInstruction" as certificateHold). "" gives kNone; anything else nullopt.
std::optional<RevocationReason> ReasonFromName(std::string_view name);

// OCSPResponseStatus (RFC 6960 4.2.1).
enum class ResponseStatus : uint8_t {
  kSuccessful = 0,
  kMalformedRequest = 1,
  kInternalError = 2,
  kTryLater = 3,
  kSigRequired = 5,
  kUnauthorized = 6,
};

}  // namespace keyward::ocsp
