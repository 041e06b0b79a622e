#include "issuer/backend_pool.h"

namespace keyward::issuer {

BackendPool::Lease::~Lease() {
  if (pool_ == nullptr || backend_ == nullptr) return;
  std::lock_guard<std::mutex> lock(pool_->mu_);
  pool_->idle_.push_back(std::move(backend_));
}

Result<BackendPool::Lease> BackendPool::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<Backend> b = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(b));
    }
  }
  Result<std::unique_ptr<store::StoreWriter>> store = store::ConnectRedis(cfg_, timeout_ms_);
  if (!store) return Fail(store.error());
  auto b = std::make_unique<Backend>();
  b->store = std::move(*store);
  b->challenges = std::make_unique<store::ChallengeStore>(cfg_, timeout_ms_);
  return Lease(this, std::move(b));
}

}  // namespace keyward::issuer
