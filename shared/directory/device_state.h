#pragma once
// DeviceState and the mapping from a device's state in a directory to its
// certificates' OCSP status (DESIGN.md, "Device identity"):
//   disabled -> revoked, certificateHold (reversible: enabled -> good again)
//   deleted  -> revoked, cessationOfOperation (permanent)
//   not listed -> the directory's `unlisted` policy (default: leave as is)
// An admin revocation (`keyward revoke`, source kKeyward) and a status a CA's
// own database gave (kIndex, kCrl) are never undone by a directory.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "shared/ocsp/status.h"
#include "shared/store/record.h"

namespace keyward::directory {

enum class DeviceState : uint8_t { kActive = 0, kDisabled = 1, kDeleted = 2 };
std::string_view DeviceStateName(DeviceState s);  // "active", "disabled", "deleted"
std::optional<DeviceState> DeviceStateFromName(std::string_view name);

// StateOf: the http-json/webhook contract fields; deleted wins over enabled.
inline DeviceState StateOf(bool enabled, bool deleted) {
  if (deleted) return DeviceState::kDeleted;
  return enabled ? DeviceState::kActive : DeviceState::kDisabled;
}

struct DeviceUpdate {
  std::string id;
  DeviceState state = DeviceState::kActive;
};

// StateMap: a directory's current view, device ID -> state.
using StateMap = std::unordered_map<std::string, DeviceState>;

enum class UnlistedPolicy : uint8_t { kKeep, kHold, kRevoke };
// UnlistedPolicyFromName: "keep", "hold", "revoke"; nullopt otherwise.
std::optional<UnlistedPolicy> UnlistedPolicyFromName(std::string_view name);

// What the poller knows of a certificate, enough to decide.
struct CertView {
  ocsp::CertStatus status = ocsp::CertStatus::kGood;
  ocsp::RevocationReason reason = ocsp::RevocationReason::kNone;
  store::Source source = store::Source::kKeyward;
};

struct Target {
  ocsp::CertStatus status;
  ocsp::RevocationReason reason;
};

// Decide: the status a certificate must move to, or nullopt when it stays as
// it is. `state` is nullopt when the directory does not list the device.
std::optional<Target> Decide(const CertView& cert, std::optional<DeviceState> state,
                             UnlistedPolicy unlisted);

// ApplyTarget rewrites `r` to `t` at time `now`, as the directory's change.
void ApplyTarget(const Target& t, int64_t now, store::CertRecord* r);

}  // namespace keyward::directory
