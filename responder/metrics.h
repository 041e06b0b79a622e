#pragma once
// Metrics: Prometheus counters for the responder. Hot counters are per worker
// (relaxed atomics on the worker's own cache lines) and summed at scrape;
// process-wide state lives in Metrics itself.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace keyward::responder {

enum class Outcome : uint8_t {
  kGood,
  kRevoked,
  kUnknown,
  kMalformed,
  kUnauthorized,
  kTryLater,
  kInternal,
  kCount,
};
enum class MethodKind : uint8_t { kGet, kPost, kOther, kCount };

// Upper bounds of the latency histogram in microseconds (+Inf is implied).
inline constexpr std::array<uint32_t, 12> kLatencyBucketsUs = {
    25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 50000, 250000, 1000000};

struct alignas(64) WorkerMetrics {
  std::array<std::atomic<uint64_t>, static_cast<size_t>(Outcome::kCount)> outcomes{};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(MethodKind::kCount)> methods{};
  std::atomic<uint64_t> cache_hits{0};
  std::atomic<uint64_t> cache_misses{0};
  std::atomic<uint64_t> wrong_content_type{0};
  std::atomic<uint64_t> http_errors{0};    // 4xx/5xx answered at the HTTP layer
  std::atomic<uint64_t> redis_fetches{0};  // miss-path GETs sent
  std::atomic<uint64_t> stale_refused{0};  // fetched entries refused by the guard
  std::atomic<uint64_t> connections_accepted{0};
  std::atomic<uint64_t> connections_refused{0};  // over max_connections
  std::array<std::atomic<uint64_t>, kLatencyBucketsUs.size() + 1> latency{};
  std::atomic<uint64_t> latency_sum_us{0};
  std::atomic<bool> redis_connected{false};

  void Count(Outcome o) {
    outcomes[static_cast<size_t>(o)].fetch_add(1, std::memory_order_relaxed);
  }
  void Observe(uint64_t micros);
};

struct Metrics {
  explicit Metrics(size_t workers);

  std::vector<std::unique_ptr<WorkerMetrics>> workers;
  // Subscriber and cache state.
  std::atomic<bool> subscriber_connected{false};
  std::atomic<uint64_t> generation{0};
  std::atomic<uint64_t> invalidations{0};
  std::atomic<uint64_t> resyncs{0};
  std::atomic<uint64_t> full_reloads{0};
  std::atomic<uint64_t> warm_entries{0};
  std::atomic<uint64_t> warm_ms{0};
  std::atomic<uint64_t> expired_dropped{0};
  std::atomic<int64_t> connections_open{0};
  // Live signing.
  std::atomic<uint64_t> live_signatures{0};
  std::atomic<uint64_t> live_trylater{0};  // queue full or deadline passed
  std::atomic<int64_t> signer_queue_depth{0};
  std::atomic<uint64_t> negative_hits{0};
  std::atomic<uint64_t> live_redis_lookups{0};

  // Render: Prometheus text exposition (version 0.0.4).
  std::string Render(size_t cache_entries, size_t cache_bytes, bool cache_trusted) const;
};

}  // namespace keyward::responder
