#pragma once
// Sync planning: how a fetched result changes a directory's known state, and
// the safety threshold that holds a sync which would disable too much at once
// (a broken export listing every device as disabled must not lock out a
// fleet).
#include <cstdint>

#include "shared/directory/device_state.h"
#include "shared/directory/source.h"

namespace keyward::directory {

// Merge: the state after applying `result` to `before`. kFull replaces the
// map (devices it does not list leave it); kDelta and webhook events update
// only the devices they name; kNotModified keeps `before`.
StateMap Merge(const StateMap& before, const SyncResult& result);

// NewlyStopped: devices whose certificates the change from `before` to
// `after` would stop: listed disabled or deleted now while active or unknown
// before, plus (when `unlisted` is hold or revoke) active devices that are no
// longer listed.
int64_t NewlyStopped(const StateMap& before, const StateMap& after, UnlistedPolicy unlisted);

// ShouldHold: more than `floor` devices and more than `fraction` of the known
// ones (the larger of before and after) would stop.
bool ShouldHold(int64_t stopped, int64_t known, double fraction, int64_t floor);

}  // namespace keyward::directory
