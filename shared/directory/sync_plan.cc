#include "shared/directory/sync_plan.h"

namespace keyward::directory {

StateMap Merge(const StateMap& before, const SyncResult& result) {
  switch (result.kind) {
    case SyncResult::Kind::kNotModified:
      return before;
    case SyncResult::Kind::kFull: {
      StateMap after;
      after.reserve(result.devices.size());
      // A listing that names a device twice: the later entry wins, as it
      // would in a delta.
      for (const DeviceUpdate& d : result.devices) after[d.id] = d.state;
      return after;
    }
    case SyncResult::Kind::kDelta: {
      StateMap after = before;
      for (const DeviceUpdate& d : result.devices) after[d.id] = d.state;
      return after;
    }
  }
  return before;
}

int64_t NewlyStopped(const StateMap& before, const StateMap& after, UnlistedPolicy unlisted) {
  int64_t n = 0;
  for (const auto& [id, state] : after) {
    if (state == DeviceState::kActive) continue;
    auto it = before.find(id);
    if (it == before.end() || it->second == DeviceState::kActive) ++n;
  }
  if (unlisted != UnlistedPolicy::kKeep) {
    for (const auto& [id, state] : before) {
      if (state == DeviceState::kActive && after.count(id) == 0) ++n;
    }
  }
  return n;
}

bool ShouldHold(int64_t stopped, int64_t known, double fraction, int64_t floor) {
  if (stopped <= floor) return false;
  return static_cast<double>(stopped) > fraction * static_cast<double>(known);
}

}  // namespace keyward::directory
