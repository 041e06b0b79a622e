#pragma once
// WarmUp: loads every precomputed response in Redis into the cache, on its
// own threads and connections, while the subscriber loop goes on applying
// invalidations.
//
// Redis does the expensive part, on its single thread: SCAN walks every key
// of the database (records included) and MGET reads the blobs, both bound by
// memory latency. So the warm-up keeps Redis busy without a pause and asks it
// for nothing twice:
//  - The key space is split into 2^k SCAN streams by the cursor's low k bits.
//    A Redis cursor names a bucket by its low bits and advances by
//    incrementing its bit-reversed value, so a SCAN started at cursor p (p <
//    2^k) visits exactly the buckets whose index ends in p, and its cursor
//    keeps those low bits until all of them are visited. Threads take streams
//    from a counter, one connection each: one thread's parsing never leaves
//    Redis idle. A SCAN call stops only after COUNT keys, so the last call of
//    a stream returns some keys of another stream (loaded twice, harmless);
//    a table smaller than 2^k buckets, or one being rehashed, only makes the
//    streams overlap more. A key a stream missed is not an error either: the
//    miss path fetches it from Redis.
//  - Each stream sends the MGET for a SCAN reply's keys together with its
//    next SCAN, so Redis reads the blobs while the keys it has just walked
//    are still in its caches, and has the SCAN to run while we parse.
//  - Values go from the socket buffer straight into cache entries
//    (RespReader), one copy and no reply objects.
// Small databases get one stream: the duplicates of a split would dominate.
// The split assumes a standalone Redis (the responder does not speak
// Cluster, whose cursors carry a slot number in their low bits).
//
// What remains is Redis's own CPU time for the walk and the reads; the
// figures are in docs/responder.md.
//
// Staleness: each MGET's epoch is read before the MGET is sent, and Insert
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
  int scan_count = 200;                  // SCAN COUNT: small batches stay in Redis's caches
  uint64_t keys_per_stream = 64 * 1024;  // database keys per SCAN stream, at least
  int max_stream_bits = 6;               // at most 64 streams
  int stream_bits = -1;                  // >= 0: 2^stream_bits streams, whatever the size (tests)
  int timeout_ms = 10'000;               // connect, and every read and write
  size_t max_value_bytes = 1024 * 1024;  // a larger blob is skipped (the miss path has it)
  // Test seam: runs on a warm-up thread after an MGET reply has begun to
  // arrive (Redis has read the values) and before any of them is inserted.
  std::function<void()> before_insert;
};

struct WarmStats {
  bool ok = false;
  std::string error;      // the first failure, when !ok
  uint64_t inserted = 0;  // Insert calls that took (a key loaded twice counts twice)
  uint64_t refused = 0;   // refused by the epoch guard: invalidated meanwhile
  uint64_t skipped = 0;   // gone, unreadable, oversized or already past nextUpdate
  uint32_t streams = 0;
};

// ParseResponseKey: {p}resp:{ca}:{alg}:{serial} to a cache key, for a CA this
// responder serves. False for anything else.
[[nodiscard]] bool ParseResponseKey(const Context& ctx, std::string_view key, CacheKey* out);

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
  class Stream;
  void Run();
  void Helper();  // one more connection and thread taking streams
  void Work(Stream* stream);
  void Fail(const std::string& error);
  bool Register(int fd);
  void Unregister(int fd);

  Context& ctx_;
  WarmOptions options_;
  std::function<void()> on_done_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> done_{false};
  std::atomic<uint64_t> next_stream_{0};
  uint64_t stream_count_ = 1;
  std::atomic<uint64_t> inserted_{0};
  std::atomic<uint64_t> refused_{0};
  std::atomic<uint64_t> skipped_{0};
  mutable std::mutex mu_;  // guards fds_ and error_
  std::vector<int> fds_;
  std::string error_;
};

}  // namespace keyward::responder
