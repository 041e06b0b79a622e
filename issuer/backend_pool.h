#pragma once
// BackendPool: Redis connections for the issuer's worker threads. Each lease
// is one StoreWriter (certificate records and responses) and one
// ChallengeStore, used by one thread at a time. Connections are made on
// demand, so the issuer starts and keeps serving GetCACaps/GetCACert while
// Redis is away; an enrollment that cannot get a working lease is refused.
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "shared/config/config.h"
#include "shared/result.h"
#include "shared/store/challenge_store.h"
#include "shared/store/store.h"

namespace keyward::issuer {

struct Backend {
  std::unique_ptr<store::StoreWriter> store;
  std::unique_ptr<store::ChallengeStore> challenges;
};

class BackendPool {
 public:
  explicit BackendPool(config::StoreConfig cfg, int timeout_ms = 2000)
      : cfg_(std::move(cfg)), timeout_ms_(timeout_ms) {}

  // Lease: a backend for the current thread, returned to the pool when the
  // lease ends (dropped instead after Discard, e.g. when it failed).
  class Lease {
   public:
    Lease(BackendPool* pool, std::unique_ptr<Backend> backend)
        : pool_(pool), backend_(std::move(backend)) {}
    Lease(Lease&&) = default;
    ~Lease();
    Backend* operator->() { return backend_.get(); }
    void Discard() { backend_.reset(); }

   private:
    BackendPool* pool_;
    std::unique_ptr<Backend> backend_;
  };

  // Acquire returns an idle backend or connects a new one. The error names
  // the Redis endpoint.
  Result<Lease> Acquire();

 private:
  config::StoreConfig cfg_;
  int timeout_ms_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Backend>> idle_;
};

}  // namespace keyward::issuer
