#include "shared/directory/device_state.h"

namespace keyward::directory {

std::string_view DeviceStateName(DeviceState s) {
  switch (s) {
    case DeviceState::kActive:
      return "active";
    case DeviceState::kDisabled:
      return "disabled";
    case DeviceState::kDeleted:
      return "deleted";
  }
  return "active";
}

std::optional<DeviceState> DeviceStateFromName(std::string_view name) {
  if (name == "active") return DeviceState::kActive;
  if (name == "disabled") return DeviceState::kDisabled;
  if (name == "deleted") return DeviceState::kDeleted;
  return std::nullopt;
}

std::optional<UnlistedPolicy> UnlistedPolicyFromName(std::string_view name) {
  if (name == "keep") return UnlistedPolicy::kKeep;
  if (name == "hold") return UnlistedPolicy::kHold;
  if (name == "revoke") return UnlistedPolicy::kRevoke;
  return std::nullopt;
}

std::optional<Target> Decide(const CertView& cert, std::optional<DeviceState> state,
                             UnlistedPolicy unlisted) {
  using ocsp::CertStatus;
  using ocsp::RevocationReason;
  if (cert.status == CertStatus::kUnknown) return std::nullopt;
  const bool revoked = cert.status == CertStatus::kRevoked;
  // Only what a directory revoked can a directory change again: an admin's
  // `keyward revoke` and a CA database's revocation stand.
  if (revoked && cert.source != store::Source::kDirectory) return std::nullopt;
  // cessationOfOperation from a directory is permanent.
  if (revoked && cert.reason == RevocationReason::kCessationOfOperation) return std::nullopt;

  DeviceState want = DeviceState::kActive;
  if (state) {
    want = *state;
  } else {
    switch (unlisted) {
      case UnlistedPolicy::kKeep:
        return std::nullopt;
      case UnlistedPolicy::kHold:
        want = DeviceState::kDisabled;
        break;
      case UnlistedPolicy::kRevoke:
        want = DeviceState::kDeleted;
        break;
    }
  }
  switch (want) {
    case DeviceState::kActive:
      // Good already, or held by us: release the hold.
      if (!revoked) return std::nullopt;
      return Target{CertStatus::kGood, RevocationReason::kNone};
    case DeviceState::kDisabled:
      if (revoked) return std::nullopt;  // our hold is already in place
      return Target{CertStatus::kRevoked, RevocationReason::kCertificateHold};
    case DeviceState::kDeleted:
      return Target{CertStatus::kRevoked, RevocationReason::kCessationOfOperation};
  }
  return std::nullopt;
}

void ApplyTarget(const Target& t, int64_t now, store::CertRecord* r) {
  r->status = t.status;
  r->reason = t.status == ocsp::CertStatus::kRevoked ? t.reason : ocsp::RevocationReason::kNone;
  // A hold that becomes a deletion keeps the time the certificate stopped
  // being good.
  if (t.status != ocsp::CertStatus::kRevoked) {
    r->revoked_at = 0;
  } else if (r->revoked_at == 0) {
    r->revoked_at = now;
  }
  r->source = store::Source::kDirectory;
}

}  // namespace keyward::directory
