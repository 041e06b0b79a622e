// WarmUp against a real redis-server: what lands in the cache with one
// connection and with several, an invalidation racing the warm-up,
// cancellation of a blocked read, and the failures that must not pass for a
// complete warm-up.
#include "responder/warm_up.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "responder/context.h"
#include "shared/store/store.h"
#include "tests/responder/warm_test_data.h"
#include "tests/support/redis_server.h"

namespace keyward::responder {
namespace {

using test_data::FakeDer;
using test_data::Now;
using test_data::Update;

std::string SerialHex(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08X", 0x10000000 + i);
  return buf;
}

// Blob: a readable response blob, good for an hour.
std::string Blob() {
  store::StoredResponse r;
  r.this_update = Now();
  r.next_update = Now() + 3600;
  r.der = "der";
  return store::EncodeResponseBlob(r);
}

// Waiter: what WarmUp's on_done signals.
struct Waiter {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  void Signal() {
    std::lock_guard lock(mu);
    done = true;
    cv.notify_all();
  }
  bool Wait() {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(60), [&] { return done; });
  }
};

class WarmUpTest : public ::testing::Test {
 protected:
  static constexpr int kCerts = 600;  // per served CA

  void SetUp() override {
    ASSERT_TRUE(redis_.Start());
    Result<std::unique_ptr<store::StoreWriter>> store = store::ConnectRedis(redis_.store_config());
    ASSERT_TRUE(store) << store.error();
    store_ = std::move(*store);
    ctx_ = MakeContext(redis_.store_config());
  }

  std::unique_ptr<Context> MakeContext(const config::StoreConfig& store) {
    config::Config cfg;
    cfg.store = store;
    std::vector<pki::CaMaterial> cas(2);
    cas[0].name = "demo";
    cas[1].name = "other:ca";  // a ':' in the name: keys are split from the right
    return std::make_unique<Context>(cfg, std::move(cas), 1, &clock_);
  }

  // Seed: kCerts good certificates for each served CA, some for a CA this
  // responder does not serve, one already past nextUpdate, and keys the
  // warm-up must pass over.
  void Seed() {
    std::vector<store::CertUpdate> updates;
    for (const char* ca : {"demo", "other:ca", "foreign"}) {
      for (int i = 0; i < kCerts; ++i) {
        updates.push_back(Update(ca, SerialHex(i), ocsp::CertStatus::kGood, Now() + 3600));
      }
    }
    updates.push_back(Update("demo", "0BADDA7E", ocsp::CertStatus::kGood, Now() - 1));
    ASSERT_TRUE(store_->ApplyBatch(updates));
    // Fields the warm-up must pass over, in a bucket it reads.
    const std::string bucket = store::Keys().ResponseHash("demo", SerialHex(0));
    for (const char* field : {"sha1:NOTHEX", "sha1:0EEE", "sha1:0001", "md5:0AAA", "sha1"}) {
      std::string value =
          std::string(field) == "sha1:0EEE" ? "short" : Blob();  // 0001: not SerialHex
      ASSERT_TRUE(redis_.Command({"HSET", bucket, field, value}));
    }
    ASSERT_TRUE(redis_.Command({"HSET", "other:resp:demo:0000", "sha1:0AAA", Blob()}));
  }

  WarmStats Warm(WarmOptions options, Context* ctx = nullptr) {
    Waiter waiter;
    WarmUp warm(ctx != nullptr ? *ctx : *ctx_, std::move(options), [&] { waiter.Signal(); });
    warm.Start();
    EXPECT_TRUE(waiter.Wait());
    EXPECT_TRUE(warm.done());
    return warm.stats();
  }

  // Cached: the status of (ca, alg, serial) in the cache, or nullopt.
  std::optional<ocsp::CertStatus> Cached(uint16_t ca, ocsp::HashAlg alg, const std::string& serial,
                                         std::string* der = nullptr) {
    CacheKey key;
    EXPECT_TRUE(MakeKeyFromHex(ca, alg, serial, &key));
    std::optional<ocsp::CertStatus> status;
    ctx_->cache.Visit(key, Now(), [&](const CacheEntry& e) {
      status = e.status();
      if (der != nullptr) *der = e.DerString();
    });
    return status;
  }

  // ExpectAllGood: every served certificate, both variants, with its bytes.
  void ExpectAllGood() {
    const char* names[] = {"demo", "other:ca"};
    for (uint16_t ca = 0; ca < 2; ++ca) {
      for (int i = 0; i < kCerts; ++i) {
        for (ocsp::HashAlg alg : {ocsp::HashAlg::kSha1, ocsp::HashAlg::kSha256}) {
          std::string der;
          std::optional<ocsp::CertStatus> s = Cached(ca, alg, SerialHex(i), &der);
          ASSERT_TRUE(s) << names[ca] << " " << SerialHex(i);
          EXPECT_EQ(*s, ocsp::CertStatus::kGood);
          EXPECT_EQ(der, FakeDer(names[ca], alg, SerialHex(i), ocsp::CertStatus::kGood));
        }
      }
    }
    // Nothing else: not the foreign CA, not the expired or unreadable blobs.
    EXPECT_EQ(ctx_->cache.size(), size_t{2 * 2 * kCerts});
  }

  Clock clock_;
  test::RedisServer redis_;
  std::unique_ptr<store::StoreWriter> store_;
  std::unique_ptr<Context> ctx_;
};

TEST_F(WarmUpTest, OneConnectionLoadsEveryServedResponse) {
  Seed();
  WarmOptions o;
  o.threads = 1;
  WarmStats stats = Warm(o);
  ASSERT_TRUE(stats.ok) << stats.error;
  EXPECT_EQ(stats.buckets, uint64_t{2} * store::kResponseBuckets);  // every bucket of both CAs
  EXPECT_EQ(stats.inserted, uint64_t{2 * 2 * kCerts});
  EXPECT_EQ(stats.refused, 0u);
  EXPECT_EQ(stats.skipped, 7u);  // the expired pair and the five odd fields
  ExpectAllGood();
}

TEST_F(WarmUpTest, ManyConnectionsAndBatchSizesLoadEverything) {
  Seed();
  for (int per_batch : {1, 7, 1000, 100'000}) {  // the last: one batch for everything
    SCOPED_TRACE("buckets per batch " + std::to_string(per_batch));
    ctx_->cache.InvalidateAll();
    WarmOptions o;
    o.threads = 3;
    o.buckets_per_batch = per_batch;
    WarmStats stats = Warm(o);
    ASSERT_TRUE(stats.ok) << stats.error;
    EXPECT_EQ(stats.buckets, uint64_t{2} * store::kResponseBuckets);
    EXPECT_EQ(stats.inserted, uint64_t{2 * 2 * kCerts});
    ExpectAllGood();
  }
}

TEST_F(WarmUpTest, ReadsOnlyTheServedCasBuckets) {
  // A responder that serves no CA reads nothing; one that serves a CA with
  // no certificates reads its empty buckets and succeeds.
  Seed();
  config::Config cfg;
  cfg.store = redis_.store_config();
  std::vector<pki::CaMaterial> cas(1);
  cas[0].name = "empty";
  Context empty(cfg, std::move(cas), 1, &clock_);
  WarmStats stats = Warm({}, &empty);
  ASSERT_TRUE(stats.ok) << stats.error;
  EXPECT_EQ(stats.buckets, uint64_t{store::kResponseBuckets});
  EXPECT_EQ(stats.inserted, 0u);
  Context none(cfg, {}, 1, &clock_);
  stats = Warm({}, &none);
  ASSERT_TRUE(stats.ok) << stats.error;
  EXPECT_EQ(stats.buckets, 0u);
}

TEST_F(WarmUpTest, InvalidationDuringTheWarmUpWinsOverTheValueItRead) {
  Seed();
  // Once the first reply with values starts to arrive, Redis has read them
  // ("good"). Then every certificate is revoked, and each invalidation is
  // applied to the cache as the subscriber does on the pub/sub message. The
  // values already read must not land; the ones read later say revoked.
  std::atomic<bool> revoked{false};
  WarmOptions o;
  o.threads = 2;
  o.buckets_per_batch = 64;
  o.before_insert = [&] {
    if (revoked.exchange(true)) return;
    std::vector<store::CertUpdate> updates;
    for (const char* ca : {"demo", "other:ca"}) {
      for (int i = 0; i < kCerts; ++i) {
        updates.push_back(Update(ca, SerialHex(i), ocsp::CertStatus::kRevoked, Now() + 3600));
      }
    }
    ASSERT_TRUE(store_->ApplyBatch(updates));
    for (uint16_t ca = 0; ca < 2; ++ca) {
      for (int i = 0; i < kCerts; ++i) {
        CacheKey key;
        ASSERT_TRUE(MakeKeyFromHex(ca, ocsp::HashAlg::kSha1, SerialHex(i), &key));
        ctx_->cache.Invalidate(ca, key.serial_bytes());
      }
    }
  };
  WarmStats stats = Warm(o);
  ASSERT_TRUE(stats.ok) << stats.error;
  EXPECT_TRUE(revoked.load());
  EXPECT_GT(stats.refused, 0u);  // at least that first batch
  size_t revoked_entries = 0;
  for (uint16_t ca = 0; ca < 2; ++ca) {
    for (int i = 0; i < kCerts; ++i) {
      for (ocsp::HashAlg alg : {ocsp::HashAlg::kSha1, ocsp::HashAlg::kSha256}) {
        std::optional<ocsp::CertStatus> s = Cached(ca, alg, SerialHex(i));
        // Absent (refused; the subscriber's refetch fills it) or revoked.
        ASSERT_NE(s, ocsp::CertStatus::kGood) << ca << " " << SerialHex(i);
        if (s) ++revoked_entries;
      }
    }
  }
  EXPECT_GT(revoked_entries, 0u);  // the batches read after the revocation
}

TEST_F(WarmUpTest, ResetRefusesAnEarlierWarmUpsValues) {
  // A warm-up whose fetches were issued before InvalidateAll (a new warm-up
  // after a disconnect) inserts nothing.
  Seed();
  WarmOptions o;
  o.before_insert = [&] { ctx_->cache.InvalidateAll(); };
  WarmStats stats = Warm(o);
  ASSERT_TRUE(stats.ok) << stats.error;
  EXPECT_EQ(stats.inserted, 0u);
  EXPECT_EQ(ctx_->cache.size(), 0u);
}

TEST_F(WarmUpTest, CancelCutsABlockedReadShort) {
  // A server that accepts connections and never answers.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 8), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  config::StoreConfig silent = redis_.store_config();
  silent.endpoint.port = ntohs(addr.sin_port);
  std::unique_ptr<Context> ctx = MakeContext(silent);

  Waiter waiter;
  WarmOptions o;
  o.timeout_ms = 600'000;  // only Cancel can end this read
  WarmUp warm(*ctx, o, [&] { waiter.Signal(); });
  warm.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(warm.done());
  warm.Cancel();
  ASSERT_TRUE(waiter.Wait());
  EXPECT_FALSE(warm.stats().ok);
  EXPECT_EQ(warm.stats().error, "cancelled");
  close(fd);
}

TEST_F(WarmUpTest, UnreachableRedisFails) {
  config::StoreConfig gone = redis_.store_config();
  redis_.Stop();
  std::unique_ptr<Context> ctx = MakeContext(gone);
  WarmStats stats = Warm({}, ctx.get());
  EXPECT_FALSE(stats.ok);
  EXPECT_NE(stats.error.find("127.0.0.1"), std::string::npos) << stats.error;
}

TEST_F(WarmUpTest, ErrorReplyFailsTheWarmUp) {
  Seed();
  // A user that may not HGETALL: the warm-up fails with Redis's words.
  ASSERT_EQ(redis_.CommandText({"ACL", "SETUSER", "warm", "on", ">secret", "~*", "&*", "+get"}),
            "OK");
  config::StoreConfig limited = redis_.store_config();
  limited.endpoint.username = "warm";
  limited.endpoint.password = "secret";
  std::unique_ptr<Context> ctx = MakeContext(limited);
  WarmStats stats = Warm({}, ctx.get());
  EXPECT_FALSE(stats.ok);
  EXPECT_NE(stats.error.find("NOPERM"), std::string::npos) << stats.error;
}

TEST(ParseResponseFieldTest, TakesAlgorithmAndSerial) {
  CacheKey key;
  ASSERT_TRUE(ParseResponseField(1, "sha256:7FFF", &key));
  EXPECT_EQ(key.ca, 1);
  EXPECT_EQ(key.alg, static_cast<uint8_t>(ocsp::HashAlg::kSha256));
  EXPECT_EQ(key.serial_len, 2);
  EXPECT_EQ(key.serial[0], 0x7F);
  EXPECT_EQ(key.serial[1], 0xFF);
  ASSERT_TRUE(ParseResponseField(0, "sha1:0102", &key));
  EXPECT_EQ(key.ca, 0);
  EXPECT_EQ(key.alg, static_cast<uint8_t>(ocsp::HashAlg::kSha1));
  for (const char* bad : {"md5:01", "sha1:1", "sha1:ZZ", "sha1:", "sha1", ":01", "", "sha1:0001",
                          "sha1:01:02", "SHA1:01"}) {
    EXPECT_FALSE(ParseResponseField(0, bad, &key)) << bad;
  }
}

}  // namespace
}  // namespace keyward::responder
