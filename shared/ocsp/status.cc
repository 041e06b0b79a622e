#include "shared/ocsp/status.h"

#include <array>
#include <cctype>

namespace keyward::ocsp {
namespace {

struct ReasonSpelling {
  std::string_view name;
  RevocationReason reason;
};

// RFC 5280 5.3.1 spelling first: ReasonName returns the first match.
constexpr std::array<ReasonSpelling, 13> kReasons = {{
    {"unspecified", RevocationReason::kUnspecified},
    {"keyCompromise", RevocationReason::kKeyCompromise},
    {"cACompromise", RevocationReason::kCaCompromise},
    {"affiliationChanged", RevocationReason::kAffiliationChanged},
    {"superseded", RevocationReason::kSuperseded},
    {"cessationOfOperation", RevocationReason::kCessationOfOperation},
    {"certificateHold", RevocationReason::kCertificateHold},
    {"removeFromCRL", RevocationReason::kRemoveFromCrl},
    {"privilegeWithdrawn", RevocationReason::kPrivilegeWithdrawn},
    {"aACompromise", RevocationReason::kAaCompromise},
    // OpenSSL `ca` writes these to index.txt (apps/ca.c): a hold instruction
    // is a certificateHold, and the *keyTime forms carry a compromise time.
    {"holdInstruction", RevocationReason::kCertificateHold},
    {"keyTime", RevocationReason::kKeyCompromise},
    {"CAkeyTime", RevocationReason::kCaCompromise},
}};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string_view CertStatusName(CertStatus status) {
  switch (status) {
    case CertStatus::kGood:
      return "good";
    case CertStatus::kRevoked:
      return "revoked";
    case CertStatus::kUnknown:
      return "unknown";
  }
  return "unknown";
}

std::optional<CertStatus> CertStatusFromName(std::string_view name) {
  for (CertStatus s : {CertStatus::kGood, CertStatus::kRevoked, CertStatus::kUnknown}) {
    if (EqualsIgnoreCase(name, CertStatusName(s))) return s;
  }
  return std::nullopt;
}

std::string_view ReasonName(RevocationReason reason) {
  for (const ReasonSpelling& r : kReasons) {
    if (r.reason == reason) return r.name;
  }
  return "";
}

std::optional<RevocationReason> ReasonFromName(std::string_view name) {
  if (name.empty()) return RevocationReason::kNone;  // inverse of ReasonName(kNone)
  for (const ReasonSpelling& r : kReasons) {
    if (EqualsIgnoreCase(name, r.name)) return r.reason;
  }
  return std::nullopt;
}

}  // namespace keyward::ocsp
