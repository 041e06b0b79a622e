#pragma once
// Subscriber: keeps the cache in step with Redis, on its own thread and loop.
//
//   connect -> SUBSCRIBE {p}inval -> read {p}gen -> warm (first time, or when
//   the change log cannot bring us up to date) or replay the change log since
//   the last generation applied -> trusted
//
// The warm-up runs on its own threads and connections (warm_up.h); this loop
// keeps applying invalidations meanwhile, and a failed warm-up is retried.
//
// Each invalidation message drops every cached variant of (ca, serial) and
// refetches it. Pub/sub delivers at most once, so after any disconnect the
// cache is untrusted (workers ask Redis, not the cache) until the resync
// above has run again. Two connections: a subscribed one cannot send other
// commands.
#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "responder/async_redis.h"
#include "responder/context.h"
#include "responder/warm_up.h"
#include "shared/store/keys.h"

namespace keyward::responder {

class Subscriber : public AsyncRedis::Listener {
 public:
  static constexpr uint64_t kRetryMs = 1000;  // after a failed warm-up or sync reply
  static constexpr int kRefetchAttempts = 3;  // per invalidation, while refused

  explicit Subscriber(Context& ctx, WarmOptions warm = {});
  ~Subscriber() override;
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  bool Start();
  void Stop();  // from any thread; joins

  void OnRedisReady(AsyncRedis& redis) override;
  void OnRedisLost(AsyncRedis& redis) override;

 private:
  struct Refetch;
  static void OnMessage(redisAsyncContext* c, void* reply, void* privdata);
  static void OnSyncReply(redisAsyncContext* c, void* reply, void* privdata);
  static void OnRefetchReply(redisAsyncContext* c, void* reply, void* privdata);
  static void OnStop(uv_async_t* a);
  static void OnSweep(uv_timer_t* t);
  static void OnWarmDone(uv_async_t* a);
  static void OnRetry(uv_timer_t* t);

  void MaybeSync();
  void SyncFailed(const char* why);
  void HandleSync(struct redisReply* exec);
  void StartWarm();
  void ApplyInvalidation(const store::Invalidation& inv);
  void SyncDone();
  void SendRefetch(std::unique_ptr<Refetch> refetch);
  // InsertReplies caches an HMGET reply for `keys`; returns how many values
  // the epoch guard refused.
  size_t InsertReplies(const std::vector<CacheKey>& keys, struct redisReply* reply, uint64_t epoch);
  void Untrust();

  Context& ctx_;
  WarmOptions warm_options_;
  uv_loop_t loop_;
  bool loop_open_ = false;
  uv_async_t stop_async_;
  uv_async_t warm_async_;  // a warm-up thread says it has finished
  uv_timer_t sweep_timer_;
  uv_timer_t retry_timer_;
  std::unique_ptr<AsyncRedis> sub_;
  std::unique_ptr<AsyncRedis> cmd_;
  std::thread thread_;
  bool subscribed_ = false;
  bool syncing_ = false;
  bool synced_once_ = false;
  uint64_t sync_id_ = 0;          // bumped on every (re)start of a sync
  uint64_t last_gen_ = 0;         // every change up to this one is applied
  uint64_t target_gen_ = 0;       // generation read at the start of the sync
  uint64_t pending_max_gen_ = 0;  // newest message seen while not yet in sync
  std::string run_id_;            // the Redis server (INFO run_id) the cache follows
  // The warm-up in progress (or finished and not yet collected), and the
  // sync it belongs to.
  std::unique_ptr<WarmUp> warm_;
  uint64_t warm_sync_id_ = 0;
  uint64_t warm_started_us_ = 0;
};

}  // namespace keyward::responder
