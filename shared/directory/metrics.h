#pragma once
// DirectoryMetrics: per-directory counters the poller serves as Prometheus
// text on a [[directory]] listen address (GET /metrics) and logs. Written by
// the poller's thread, read by the HTTP workers: every field is atomic.
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace keyward::directory {

struct DirectoryMetrics {
  std::string name;
  std::string kind;
  std::atomic<int64_t> up{0};             // 1 after a good sync, 0 after a failed one
  std::atomic<int64_t> last_sync_ok{0};   // unix seconds
  std::atomic<int64_t> last_sync_ms{0};   // duration of the last good sync
  std::atomic<int64_t> sync_failures{0};  // total
  std::atomic<int64_t> consecutive_failures{0};
  std::atomic<int64_t> devices_active{0};
  std::atomic<int64_t> devices_disabled{0};
  std::atomic<int64_t> devices_deleted{0};
  std::atomic<int64_t> changes_applied{0};  // certificate status changes published
  std::atomic<int64_t> held{0};             // 1 while a sync waits for confirmation
  std::atomic<int64_t> webhook_accepted{0};
  std::atomic<int64_t> webhook_refused{0};
};

// RenderMetrics: Prometheus text exposition for every directory.
std::string RenderMetrics(const std::vector<const DirectoryMetrics*>& all);

}  // namespace keyward::directory
