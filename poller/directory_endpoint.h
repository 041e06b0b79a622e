#pragma once
// DirectoryEndpoint: the poller's small HTTP endpoint, one listener per
// [[directory]] that sets `listen`:
//   POST (any path)  webhook events for that directory (kind "webhook"),
//                    authenticated as directory/webhook_auth.h says; the body
//                    is {"devices": [{"id", "enabled", "deleted"}, ...]} or a
//                    single device object. The answer comes once the poller
//                    has published the changes: 200 {"changes": N}, or 409
//                    when the safety threshold holds them, 401 for a bad
//                    signature, timestamp or replay (logged), 400 for a bad
//                    body.
//   GET /metrics     Prometheus text for every directory.
//   GET /healthz     "ok".
// The endpoint runs its own libuv loop on its own thread; requests are
// handled on the http::Server's worker threads and hand events to the poller
// thread through DirectoryPass::Submit.
#include <uv.h>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "poller/directory_pass.h"
#include "shared/config/config.h"
#include "shared/directory/webhook_auth.h"
#include "shared/http/server.h"
#include "shared/result.h"

namespace keyward::poller {

class DirectoryEndpoint {
 public:
  DirectoryEndpoint(const config::Config& cfg, DirectoryPass& pass);
  ~DirectoryEndpoint();  // Stop()
  DirectoryEndpoint(const DirectoryEndpoint&) = delete;
  DirectoryEndpoint& operator=(const DirectoryEndpoint&) = delete;

  // Start binds every listen address and starts the loop thread; false-free
  // when no directory listens. Errors name the address.
  Result<void> Start();
  // Stop shuts the servers down and joins the thread. Idempotent.
  void Stop();
  bool listening() const { return !servers_.empty(); }

  // Handle answers one request for `dir` (public for tests).
  http::Response Handle(const config::DirectoryConfig& dir, const http::Request& req);

 private:
  http::Response HandleEvents(const config::DirectoryConfig& dir, const http::Request& req);

  const config::Config& cfg_;
  DirectoryPass& pass_;
  std::map<std::string, std::unique_ptr<directory::WebhookVerifier>> verifiers_;
  uv_loop_t loop_{};
  bool loop_ready_ = false;
  std::vector<std::unique_ptr<http::Server>> servers_;
  std::thread thread_;
};

}  // namespace keyward::poller
