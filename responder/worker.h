#pragma once
// Worker: one thread running one uv loop. It owns its own listening sockets
// (SO_REUSEPORT, so the kernel spreads connections), its connections, a
// cached Date string refreshed every second, its own Redis connection for
// cache misses, and an inbox through which other threads (the signer pool)
// hand results back to this loop.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "responder/async_redis.h"
#include "responder/connection.h"
#include "responder/context.h"
#include "responder/doorbell.h"
#include "responder/http_date.h"

namespace keyward::responder {

class OcspHandler;

class Worker : public AsyncRedis::Listener {
 public:
  Worker(size_t index, Context& ctx, std::vector<int> listen_fds);
  ~Worker() override;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Start runs the loop on a new thread. False if the loop could not be set up.
  bool Start();
  // Stop asks the loop to close its listeners and connections and end;
  // Join waits for it. Safe from any thread.
  void Stop();
  void Join();

  // Post runs `fn` on this worker's loop (from any thread). Dropped once the
  // worker is stopping.
  void Post(std::function<void(Worker&)> fn);

  // Loop-thread API.
  uv_loop_t* loop() { return &loop_; }
  std::string_view date() const { return std::string_view(date_, kHttpDateLength); }
  Connection* FindConnection(uint64_t id);
  void ConnectionClosed(uint64_t id);
  WorkerMetrics& metrics() { return *ctx_.metrics.workers[index_]; }
  Context& ctx() { return ctx_; }
  AsyncRedis& redis() { return *redis_; }
  OcspHandler& handler() { return *handler_; }
  size_t index() const { return index_; }

  // AsyncRedis::Listener.
  void OnRedisReady(AsyncRedis& redis) override;
  void OnRedisLost(AsyncRedis& redis) override;

 private:
  static void OnConnection(uv_stream_t* server, int status);
  static void OnDateTimer(uv_timer_t* t);
  static void OnStop(uv_async_t* a);
  static void OnInbox(void* self);
  void Run();
  void RefreshDate();
  void Shutdown();

  size_t index_;
  Context& ctx_;
  std::vector<int> fds_;
  uv_loop_t loop_;
  bool loop_open_ = false;
  std::vector<std::unique_ptr<uv_tcp_t>> listeners_;
  uv_timer_t date_timer_;
  uv_async_t stop_async_;
  Doorbell inbox_bell_;  // rung by Post when the inbox was empty
  char date_[kHttpDateLength] = {};
  std::unordered_map<uint64_t, std::unique_ptr<Connection>> conns_;
  uint64_t next_id_ = 1;
  std::unique_ptr<AsyncRedis> redis_;
  std::unique_ptr<OcspHandler> handler_;
  ConnectionLimits limits_;
  std::thread thread_;
  std::mutex inbox_mu_;
  std::vector<std::function<void(Worker&)>> inbox_;
  bool stopping_ = false;  // guarded by inbox_mu_
  bool shut_down_ = false;
};

}  // namespace keyward::responder
