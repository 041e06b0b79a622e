// The subscriber's warm-up with real pub/sub: revocations published while
// the warm-up reads, and a Redis restart in the middle of it. The cache may
// be trusted only once everything it holds is at least as new as what Redis
// published before.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "responder/context.h"
#include "responder/subscriber.h"
#include "shared/store/store.h"
#include "tests/responder/warm_test_data.h"
#include "tests/support/redis_server.h"

namespace keyward::responder {
namespace {

using SteadyClock = std::chrono::steady_clock;

using test_data::Now;

std::string SerialHex(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08X", 0x20000000 + i);
  return buf;
}

// WaitFor polls `cond` for up to `seconds`: a liveness bound, not a timing
// assertion.
template <class F>
bool WaitFor(F cond, int seconds = 30) {
  auto deadline = SteadyClock::now() + std::chrono::seconds(seconds);
  while (SteadyClock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

class SubscriberWarmTest : public ::testing::Test {
 protected:
  static constexpr int kCerts = 800;

  void SetUp() override {
    ASSERT_TRUE(redis_.Start());
    Result<std::unique_ptr<store::StoreWriter>> store = store::ConnectRedis(redis_.store_config());
    ASSERT_TRUE(store) << store.error();
    store_ = std::move(*store);
    config::Config cfg;
    cfg.store = redis_.store_config();
    std::vector<pki::CaMaterial> cas(1);
    cas[0].name = "demo";
    ctx_ = std::make_unique<Context>(cfg, std::move(cas), 1, &clock_);
  }

  void TearDown() override {
    if (sub_) sub_->Stop();
  }

  void Publish(ocsp::CertStatus status) {
    std::vector<store::CertUpdate> updates;
    for (int i = 0; i < kCerts; ++i)
      updates.push_back(test_data::Update("demo", SerialHex(i), status, Now() + 3600));
    Result<void> r = store_->ApplyBatch(updates);
    ASSERT_TRUE(r) << r.error();
  }

  void StartSubscriber(WarmOptions options) {
    sub_ = std::make_unique<Subscriber>(*ctx_, std::move(options));
    ASSERT_TRUE(sub_->Start());
  }
  // StartWithHook: a warm-up in small batches on two threads that runs
  // `hook` once, when the first reply with values has begun to arrive and
  // before any of it is inserted. Sets fired_.
  void StartWithHook(std::function<void()> hook) {
    WarmOptions o;
    o.threads = 2;
    o.buckets_per_batch = 8;
    o.before_insert = [this, hook = std::move(hook)] {
      if (!fired_.exchange(true)) hook();
    };
    StartSubscriber(std::move(o));
  }

  std::atomic<bool> fired_{false};

  // Count the cached variants with `status`.
  int CountCached(ocsp::CertStatus status) {
    int n = 0;
    for (int i = 0; i < kCerts; ++i) {
      for (ocsp::HashAlg alg : {ocsp::HashAlg::kSha1, ocsp::HashAlg::kSha256}) {
        CacheKey key;
        EXPECT_TRUE(MakeKeyFromHex(0, alg, SerialHex(i), &key));
        ctx_->cache.Visit(key, Now(), [&](const CacheEntry& e) { n += e.status() == status; });
      }
    }
    return n;
  }

  Clock clock_;
  test::RedisServer redis_;
  std::unique_ptr<store::StoreWriter> store_;
  std::unique_ptr<Context> ctx_;
  std::unique_ptr<Subscriber> sub_;
};

TEST_F(SubscriberWarmTest, RevocationsPublishedDuringTheWarmUpWin) {
  Publish(ocsp::CertStatus::kGood);
  // When the first MGET reply arrives, Redis has read those values (good).
  // Then every certificate is revoked, and the warm-up waits until the
  // subscriber loop has taken every message: the values it holds are older
  // than the invalidations already applied.
  StartWithHook([&] {
    Publish(ocsp::CertStatus::kRevoked);
    EXPECT_TRUE(WaitFor([&] { return ctx_->metrics.invalidations.load() >= kCerts; }));
  });
  ASSERT_TRUE(WaitFor([&] { return ctx_->trusted.load(); }));
  EXPECT_TRUE(fired_.load());
  // From the moment the cache is trusted, nothing in it says good.
  EXPECT_EQ(CountCached(ocsp::CertStatus::kGood), 0);
  // The refetches of the invalidated certificates fill in what was refused.
  // (A refetch the guard refused, because another certificate's invalidation
  // marked the same slot meanwhile, is read again.)
  EXPECT_TRUE(WaitFor([&] { return CountCached(ocsp::CertStatus::kRevoked) == 2 * kCerts; }))
      << CountCached(ocsp::CertStatus::kRevoked);
  EXPECT_EQ(CountCached(ocsp::CertStatus::kGood), 0);
  EXPECT_EQ(ctx_->metrics.generation.load(), uint64_t{2 * kCerts});
}

TEST_F(SubscriberWarmTest, RedisRestartDuringTheWarmUpIsRetried) {
  Publish(ocsp::CertStatus::kGood);
  StartWithHook([&] {
    // The data survives (an RDB), the connections do not.
    EXPECT_TRUE(redis_.Restart(test::RedisServer::Data::kKeep));
  });
  ASSERT_TRUE(WaitFor([&] { return ctx_->trusted.load(); }));
  EXPECT_TRUE(fired_.load());
  EXPECT_EQ(CountCached(ocsp::CertStatus::kGood), 2 * kCerts);
  EXPECT_EQ(ctx_->metrics.warm_entries.load(), uint64_t{2 * kCerts});
  // A change after the restart still reaches the cache.
  ASSERT_TRUE(store_->Apply(
      test_data::Update("demo", SerialHex(7), ocsp::CertStatus::kRevoked, Now() + 3600)));
  EXPECT_TRUE(WaitFor([&] { return CountCached(ocsp::CertStatus::kRevoked) == 2; }));
}

}  // namespace
}  // namespace keyward::responder
