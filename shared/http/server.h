#pragma once
// http::Server: a small general-purpose HTTP/1.1 server on libuv + llhttp.
//
// The event loop only moves bytes: it accepts, parses with llhttp, enforces
// the caps below, and writes responses. Each complete request is handed to a
// bounded WorkerPool, where the handler runs (it may block: sign, call Redis,
// call a webhook); its Response comes back to the loop through a uv_async.
// While a request is being handled its connection does not read, so pipelined
// requests are answered in order.
//
// Failure answers, all followed by closing the connection: 400 for what
// llhttp rejects, 408 when a request is not complete within the header
// timeout, 413 for a body over the cap, 414 for a URL over the cap, 431 for
// headers over the cap, 503 when the worker queue is full. Connections over
// the connection cap are closed at accept.
//
// Threading: construct, Listen and destroy on the loop's thread; Shutdown may
// be called from any thread. The handler is called on worker threads, several
// at once, and must be thread-safe and must not throw. The process must
// ignore SIGPIPE (every Keyward main does): a peer that left while its answer
// was being prepared would otherwise kill it on the write.
#include <uv.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "shared/http/message.h"
#include "shared/http/worker_pool.h"
#include "shared/result.h"

namespace keyward::http {

struct ServerOptions {
  size_t max_url_bytes = 64 * 1024;
  size_t max_header_bytes = 16 * 1024;  // all header names and values together
  size_t max_body_bytes = 256 * 1024;
  int header_timeout_ms = 10'000;  // from a request's first byte to its last
  int idle_timeout_ms = 30'000;    // between requests on a kept-alive connection
  int max_connections = 1024;
  int worker_threads = 2;
  size_t max_queued = 256;  // requests waiting for a worker
};

class Server {
 public:
  using Handler = std::function<Response(const Request&)>;

  Server(uv_loop_t* loop, ServerOptions options, Handler handler);
  // The loop must have run to completion after Shutdown before destruction.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Listen binds and listens on host:port (port 0 picks a free one) and
  // returns the bound port. Errors name the address.
  Result<int> Listen(const std::string& host, int port);

  // Shutdown stops accepting, closes every connection, stops the workers and
  // closes the server's handles, so that uv_run returns. Thread-safe,
  // idempotent.
  void Shutdown();

  size_t connection_count() const { return connection_count_.load(); }

 private:
  class Connection;
  struct Done {
    uint64_t connection_id;
    Response response;
  };

  static void OnConnection(uv_stream_t* listener, int status);
  static void OnDone(uv_async_t* async);
  static void OnStop(uv_async_t* async);
  void Dispatch(Connection* conn, Request request);
  void DoShutdown();

  uv_loop_t* loop_;
  ServerOptions options_;
  Handler handler_;
  WorkerPool pool_;
  std::vector<std::unique_ptr<uv_tcp_t>> listeners_;
  std::unordered_map<uint64_t, Connection*> connections_;
  uint64_t next_id_ = 1;
  std::atomic<size_t> connection_count_{0};
  bool shutting_down_ = false;

  uv_async_t done_async_{};
  uv_async_t stop_async_{};
  std::mutex done_mu_;
  std::vector<Done> done_;  // guarded by done_mu_
  std::atomic<bool> stop_requested_{false};
};

}  // namespace keyward::http
