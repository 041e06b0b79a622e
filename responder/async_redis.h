#pragma once
// AsyncRedis: one hiredis async connection driven by a libuv loop, with AUTH
// and SELECT on connect and reconnection with capped exponential backoff.
// All calls happen on the loop's thread.
//
// It carries its own libuv glue instead of <hiredis/adapters/libuv.h>:
// hiredis 0.14.1's adapter ignores a uv_poll error status, and libuv reports a
// refused connect exactly that way (POLLERR), so a connect to a Redis that is
// down would never complete.
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "shared/config/config.h"

namespace keyward::responder {

class AsyncRedis {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void OnRedisReady(AsyncRedis& redis) = 0;  // connected, AUTH/SELECT done
    virtual void OnRedisLost(AsyncRedis& redis) = 0;   // disconnected; will retry
  };

  AsyncRedis(uv_loop_t* loop, const config::RedisEndpoint& endpoint, Listener* listener,
             std::string name);
  ~AsyncRedis();
  AsyncRedis(const AsyncRedis&) = delete;
  AsyncRedis& operator=(const AsyncRedis&) = delete;

  // Start connects now and keeps reconnecting until Stop.
  void Start();
  // Stop disconnects (pending callbacks see a null reply) and closes the
  // timer; the loop can end once its close callbacks have run.
  void Stop();
  bool ready() const { return ready_; }

  // Command sends one command; `cb` later gets the reply, or a null reply if
  // the connection drops. Returns false (and cb is never called) when not
  // ready or hiredis refuses.
  bool Command(redisCallbackFn* cb, void* privdata, int argc, const char** argv,
               const size_t* lens);
  // Raw access for subscriptions.
  redisAsyncContext* context() { return ctx_; }
  const std::string& name() const { return name_; }
  Listener* listener() const { return listener_; }

 private:
  static void OnConnect(const redisAsyncContext* c, int status);
  static void OnDisconnect(const redisAsyncContext* c, int status);
  static void OnSetupReply(redisAsyncContext* c, void* reply, void* privdata);
  static void OnRetryTimer(uv_timer_t* t);
  void Connect();
  void ScheduleRetry();
  bool Attach();

  uv_loop_t* loop_;
  config::RedisEndpoint endpoint_;
  Listener* listener_;
  std::string name_;
  redisAsyncContext* ctx_ = nullptr;
  uv_timer_t retry_timer_;
  bool timer_open_ = false;
  bool ready_ = false;
  bool stopping_ = false;
  int setup_pending_ = 0;
  uint64_t backoff_ms_ = 0;
};

}  // namespace keyward::responder
