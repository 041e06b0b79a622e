#pragma once
// WarmUp: loads every precomputed response in Redis into the cache, on its
// own threads and connections, while the subscriber loop goes on applying
// invalidations.
//
// Responses sit in store::kResponseBuckets hashes per CA (docs/store.md), so
// the warm-up knows every key it needs without asking: it reads each bucket
// of each served CA whole with HGETALL, and Redis walks only response fields,
// never the records or the rest of the database.
//  - Threads take batches of buckets from a counter, one connection each, and
//    keep two batches in flight: the next batch goes out before the last one
//    is parsed, so Redis always has work while we insert.
//  - Values go from the socket buffer straight into cache entries
//    (RespReader), one copy and no reply objects.
// What remains is Redis's own CPU time for the reads; the figures are in
// docs/responder.md.
//
// Staleness: each batch's epoch is read before the batch is sent, and Insert
// refuses a value whose certificate was invalidated since (response_cache.h).
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "responder/cache_entry.h"
#include "responder/context.h"

namespace keyward::responder {

struct WarmOptions {
  int threads = 2;                       // connections, one thread each
  int buckets_per_batch = 32;            // HGETALLs sent together
  int timeout_ms = 10'000;               // connect, and every read and write
  size_t max_value_bytes = 1024 * 1024;  // a larger blob is skipped (the miss path has it)
  // Test seam: runs on a warm-up thread once a reply with values has begun
  // to arrive (Redis has read them) and before any of them is inserted.
  std::function<void()> before_insert;
};

struct WarmStats {
  bool ok = false;
  std::string error;      // the first failure, when !ok
  uint64_t inserted = 0;  // Insert calls that took
  uint64_t refused = 0;   // refused by the epoch guard: invalidated meanwhile
  uint64_t skipped = 0;   // unreadable, oversized, already past nextUpdate, or a bad field
  uint64_t buckets = 0;   // buckets read (every bucket of every served CA when ok)
};

// ParseResponseField: "{alg}:{serial}", a field of CA `ca`'s bucket, to a
// cache key. False for anything else.
[[nodiscard]] bool ParseResponseField(uint16_t ca, std::string_view field, CacheKey* out);

class WarmUp {
 public:
  // `on_done` runs once, on a warm-up thread, when the last thread has
  // finished (successfully, failed or cancelled).
  WarmUp(Context& ctx, WarmOptions options, std::function<void()> on_done);
  ~WarmUp();  // cancels and joins
  WarmUp(const WarmUp&) = delete;
  WarmUp& operator=(const WarmUp&) = delete;

  void Start();
  // Cancel, from any thread: every connection is shut down, so blocked reads
  // return at once; done() follows shortly, with !stats().ok.
  void Cancel();
  bool done() const { return done_.load(std::memory_order_acquire); }
  // stats: only once done().
  WarmStats stats() const;

 private:
  class Reader;
  void Run();
  void Helper();  // one more connection and thread taking batches
  void Work(Reader* reader);
  void Fail(const std::string& error);
  bool Register(int fd);
  void Unregister(int fd);

  Context& ctx_;
  WarmOptions options_;
  std::function<void()> on_done_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> done_{false};
  std::atomic<uint64_t> next_bucket_{0};  // over every (CA, bucket) pair
  uint64_t bucket_count_ = 0;
  std::atomic<uint64_t> buckets_read_{0};
  std::atomic<uint64_t> inserted_{0};
  std::atomic<uint64_t> refused_{0};
  std::atomic<uint64_t> skipped_{0};
  mutable std::mutex mu_;  // guards fds_ and error_
  std::vector<int> fds_;
  std::string error_;
};

}  // namespace keyward::responder
