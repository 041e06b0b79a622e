#pragma once
// DirectoryPass: device directories as a status source. On the poller's
// thread it
//   1. pulls each [[directory]] whose interval has passed (http-json, entra,
//      intune, jamf), or takes the webhook events queued by the endpoint;
//   2. merges what it saw into the directory's known device states, unless
//      the safety threshold holds the sync for `keyward directory confirm`;
//      the states are kept in Redis (directory::StateStore);
//   3. reconciles: every certificate of a covered CA whose device's state
//      asks for another status (directory::Decide) is re-signed and published
//      through StatusPublisher, so responders answer it within a second.
// A directory that cannot be read changes nothing: its last known state
// holds, the failure is logged and shows in the metrics.
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "poller/poller.h"
#include "shared/config/config.h"
#include "shared/directory/device_state.h"
#include "shared/directory/metrics.h"
#include "shared/directory/source.h"
#include "shared/directory/state_store.h"
#include "shared/result.h"
#include "shared/status/status_publisher.h"

namespace keyward::poller {

// What a webhook post became once the poller handled it.
struct EventOutcome {
  enum class Kind : uint8_t { kApplied, kHeld, kFailed };
  Kind kind = Kind::kApplied;
  size_t changes = 0;  // certificate status changes published
  std::string error;
};

class DirectoryPass {
 public:
  // All references must outlive the pass.
  DirectoryPass(const config::Config& cfg, Poller& poller,
                const status::StatusPublisher& publisher);

  // Start builds the sources and loads each directory's known states from
  // Redis. Fails on an unreadable secret file or an unreachable Redis.
  Result<void> Start();

  // RunDue pulls every directory whose interval has passed at `now` and
  // reconciles. Failures are logged and counted, never returned: one broken
  // directory must not stop the others.
  void RunDue(int64_t now);

  // Submit queues webhook events for directory `name` (any thread); the
  // future is fulfilled by the next DrainEvents.
  std::future<EventOutcome> Submit(const std::string& name,
                                   std::vector<directory::DeviceUpdate> events);
  // DrainEvents applies the queued events (poller thread).
  void DrainEvents(int64_t now);

  // Metrics of every directory; the pointers live as long as the pass.
  std::vector<const directory::DirectoryMetrics*> metrics() const;
  directory::DirectoryMetrics* FindMetrics(const std::string& name);

  // Sync statistics for tests and the log.
  size_t changes_applied() const { return changes_applied_; }

 private:
  struct Dir {
    const config::DirectoryConfig* cfg = nullptr;
    directory::UnlistedPolicy unlisted = directory::UnlistedPolicy::kKeep;
    std::unique_ptr<directory::Source> source;  // null for webhooks
    std::unique_ptr<directory::StateStore> store;
    directory::StateMap states;
    int64_t next_due = 0;
    std::unique_ptr<directory::DirectoryMetrics> metrics;
  };
  struct Pending {
    std::string name;
    std::vector<directory::DeviceUpdate> events;
    std::promise<EventOutcome> done;
  };
  enum class Applied : uint8_t { kApplied, kHeld };

  Dir* FindDir(const std::string& name);
  void PullOne(Dir& dir, int64_t now);
  Result<Applied> Apply(Dir& dir, const directory::SyncResult& result, int64_t now);
  Result<size_t> Reconcile(int64_t now);
  void CountStates(Dir& dir);

  const config::Config& cfg_;
  Poller& poller_;
  const status::StatusPublisher& publisher_;
  std::vector<Dir> dirs_;
  std::map<std::string, std::vector<size_t>> dirs_of_ca_;  // ca -> indexes into dirs_
  size_t changes_applied_ = 0;
  std::mutex mu_;
  std::vector<Pending> pending_;  // guarded by mu_
};

}  // namespace keyward::poller
