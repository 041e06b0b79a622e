// The hit path allocates nothing: after a connection's buffers have reached
// their working size, a thousand cached answers on it cost no heap
// allocation in any responder thread. Counted with the sanitizer allocator's
// malloc hook (every operator new goes through it), so this runs in
// sanitizer builds (KEYWARD_SANITIZE=ON, the default for tests/run.sh debug
// builds) and is skipped otherwise.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>

#include "responder/responder.h"
#include "shared/status/status_publisher.h"
#include "tests/responder/test_client.h"
#include "tests/support/redis_server.h"
#include "tests/support/test_pki.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KEYWARD_HAVE_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define KEYWARD_HAVE_ASAN 1
#endif

#ifdef KEYWARD_HAVE_ASAN
// From <sanitizer/allocator_interface.h>, which GCC does not install; the
// function is in both GCC's and clang's sanitizer runtimes.
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*,
                                                                             size_t),
                                                         void (*free_hook)(const volatile void*));
#endif

namespace keyward::responder {
namespace {

std::atomic<bool> g_counting{false};
std::atomic<uint64_t> g_allocations{0};
thread_local bool t_not_counted = false;  // the test's own client thread

[[maybe_unused]] void OnMalloc(const volatile void*, size_t) {
  if (g_counting.load(std::memory_order_relaxed) && !t_not_counted) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
  }
}
[[maybe_unused]] void OnFree(const volatile void*) {}

TEST(HitPathAllocTest, CachedAnswersAllocateNothing) {
#ifndef KEYWARD_HAVE_ASAN
  GTEST_SKIP() << "needs the sanitizer allocator hooks (KEYWARD_SANITIZE=ON)";
#else
  static const bool hooked = __sanitizer_install_malloc_and_free_hooks(OnMalloc, OnFree) != 0;
  ASSERT_TRUE(hooked);
  test::RedisServer redis;
  ASSERT_TRUE(redis.Start());
  test::TestPki pki;
  ASSERT_TRUE(pki.Create());
  Result<test::TestPki::Leaf> leaf = pki.IssueLeaf("leaf");
  ASSERT_TRUE(leaf);
  Result<std::unique_ptr<store::StoreWriter> > store = store::ConnectRedis(redis.store_config());
  ASSERT_TRUE(store);
  std::vector<pki::CaMaterial> pub_cas;
  pub_cas.push_back(pki::LoadCa(pki.config(), pki::KeyUse::kOcspOnly).value());
  config::OcspConfig ocsp;
  status::StatusPublisher publisher(**store, pub_cas, ocsp);
  ASSERT_TRUE(publisher.Publish(leaf->record, std::time(nullptr)));

  config::Config cfg;
  cfg.store = redis.store_config();
  cfg.responder.listen = {"127.0.0.1:0"};
  cfg.responder.workers = 1;
  std::vector<pki::CaMaterial> cas;
  cas.push_back(pki::LoadCa(pki.config(), pki::KeyUse::kOcspOnly).value());
  ResponderOptions options;
  options.live_signing = false;
  Responder responder(cfg, std::move(cas), options);
  ASSERT_TRUE(responder.Start());
  int port = responder.ports()[0];
  for (int i = 0; i < 2000 && !responder.context().trusted.load(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(responder.context().trusted.load());

  t_not_counted = true;
  std::string post =
      testing::Post("/", testing::OcspRequest(pki.ca().cert.get(), leaf->cert.get()));
  std::string get = testing::Get("/" + testing::Base64Url(testing::OcspRequest(
                                           pki.ca().cert.get(), leaf->cert.get(), EVP_sha256())));
  testing::Client client(port);
  ASSERT_TRUE(client.ok());
  auto round = [&](const std::string& req) {
    ASSERT_TRUE(client.Send(req));
    std::optional<testing::HttpReply> r = client.ReadReply();
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
  };
  // Warm the connection: its buffers grow to their working size once.
  for (int i = 0; i < 20; ++i) {
    round(post);
    round(get);
  }
  uint64_t hits_before = 0;
  for (auto& w : responder.context().metrics.workers) hits_before += w->cache_hits.load();
  g_allocations.store(0);
  g_counting.store(true);
  for (int i = 0; i < 500; ++i) {
    round(post);
    round(get);
  }
  g_counting.store(false);
  uint64_t hits_after = 0;
  for (auto& w : responder.context().metrics.workers) hits_after += w->cache_hits.load();
  EXPECT_EQ(hits_after - hits_before, 1000u);
  EXPECT_EQ(g_allocations.load(), 0u) << "heap allocations during 1000 cached answers";
  responder.Stop();
#endif
}

}  // namespace
}  // namespace keyward::responder
