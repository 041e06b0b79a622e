#pragma once
// Responder: the whole OCSP responder process minus flag parsing: the shared
// cache, N worker loops on SO_REUSEPORT sockets, the subscriber that keeps the
// cache in step with Redis, and the live-signing pool. Tests run it in
// process on a loopback port; main.cc runs it until SIGINT/SIGTERM.
#include <memory>
#include <vector>

#include "responder/context.h"
#include "shared/config/config.h"
#include "shared/pki/ca_material.h"
#include "shared/result.h"

namespace keyward::responder {

class Worker;
class Subscriber;
class SignerPool;

struct ResponderOptions {
  int workers = 0;  // overrides [responder] workers when > 0
  bool live_signing = true;
  const Clock* clock = nullptr;  // null: the system clock
};

class Responder {
 public:
  Responder(const config::Config& cfg, std::vector<pki::CaMaterial> cas,
            ResponderOptions options = {});
  ~Responder();
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;

  // Start binds every listen address (port 0 picks one; all workers then
  // share it) and starts the threads. Errors name the address.
  Result<void> Start();
  // Stop stops accepting, closes connections and joins every thread.
  void Stop();

  // The port bound for each [responder] listen entry, in order.
  const std::vector<int>& ports() const { return ports_; }
  Context& context() { return *ctx_; }

 private:
  config::Config cfg_;
  ResponderOptions options_;
  Clock system_clock_;
  size_t worker_count_ = 1;
  std::unique_ptr<Context> ctx_;
  std::unique_ptr<SignerPool> signer_;
  std::unique_ptr<Subscriber> subscriber_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<int> ports_;
  bool started_ = false;
};

}  // namespace keyward::responder
