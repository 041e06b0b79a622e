#pragma once
// StateStore: what a directory is known to say, kept in Redis so that a
// restarted poller neither forgets a disabled device nor replays a held sync.
// Keys, under the store prefix (default "kw:"):
//   {p}dir:{name}:state    HASH device ID -> "active" | "disabled" | "deleted"
//   {p}dir:{name}:held     HASH count, known, at: a sync held by the safety
//                          threshold (absent when none is held)
//   {p}dir:{name}:confirm  STRING unix time, set by `keyward directory
//                          confirm`; the poller takes it (GETDEL) and applies
//                          the held sync once
//   {p}dir:{name}:sync     HASH last_ok, last_error, last_error_at, changes
// Blocking; one connection; not thread-safe.
#include <cstdint>
#include <optional>
#include <string>

#include "shared/config/config.h"
#include "shared/directory/device_state.h"
#include "shared/result.h"
#include "shared/store/redis_connection.h"

namespace keyward::directory {

struct HeldSync {
  int64_t count = 0;  // devices the sync would disable or delete
  int64_t known = 0;  // devices known at the time
  int64_t at = 0;     // when it was first held
};

struct SyncRecord {
  int64_t last_ok = 0;
  int64_t last_error_at = 0;
  std::string last_error;
  int64_t changes = 0;  // certificate changes applied, all time
};

class StateStore {
 public:
  StateStore(const config::StoreConfig& store, std::string directory);

  Result<StateMap> Load();
  // Save writes the difference between `before` and `after`.
  Result<void> Save(const StateMap& before, const StateMap& after);
  Result<std::optional<HeldSync>> GetHeld();
  Result<void> SetHeld(const HeldSync& held);
  Result<void> ClearHeld();
  // Confirm (the CLI) allows the held sync once; TakeConfirm (the poller)
  // reads and removes that allowance.
  Result<void> Confirm(int64_t now);
  Result<bool> TakeConfirm();
  Result<SyncRecord> GetSync();
  Result<void> RecordOk(int64_t now, int64_t changes_added);
  Result<void> RecordError(int64_t now, const std::string& error);

 private:
  std::string Key(const char* what) const;
  store::RedisConnection conn_;
  std::string prefix_;
  std::string name_;
};

}  // namespace keyward::directory
