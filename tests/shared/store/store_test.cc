// The StoreWriter contract, run against both stores: the in-memory one and
// the Redis one on a real redis-server. Anything a caller may rely on belongs
// here; Redis-only behaviour (pub/sub, AUTH, reconnects, raw schema) is in
// redis_store_test.cc.
#include "shared/store/store.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "tests/shared/store/store_test_data.h"
#include "tests/support/redis_server.h"

namespace keyward::store {
namespace {

enum class Backend { kMemory, kRedis };

class StoreContractTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kMemory) {
      store_ = NewMemoryStore();
      return;
    }
    ASSERT_TRUE(redis_.Start());
    Result<std::unique_ptr<StoreWriter>> store = ConnectRedis(redis_.store_config());
    ASSERT_TRUE(store) << store.error();
    store_ = std::move(*store);
  }

  uint64_t MustApply(const CertUpdate& u) {
    Result<uint64_t> gen = store_->Apply(u);
    EXPECT_TRUE(gen) << gen.error();
    return gen ? *gen : 0;
  }

  test::RedisServer redis_;  // started for Backend::kRedis only
  std::unique_ptr<StoreWriter> store_;
};

TEST_P(StoreContractTest, DeviceIndexNamesEveryCertificateOfADevice) {
  CertUpdate a = MakeUpdate("demo", "0A");
  CertUpdate b = MakeUpdate("other", "0B");
  b.record.device_id = a.record.device_id;
  CertUpdate none = MakeUpdate("demo", "0C");
  none.record.device_id.clear();
  MustApply(a);
  MustApply(b);
  MustApply(none);
  MustApply(a);  // re-applying does not list it twice
  Result<std::vector<std::pair<std::string, std::string>>> certs =
      store_->DeviceCertificates(a.record.device_id);
  ASSERT_TRUE(certs) << certs.error();
  std::vector<std::pair<std::string, std::string>> want{{"demo", "0A"}, {"other", "0B"}};
  EXPECT_EQ(*certs, want);
  Result<std::vector<std::pair<std::string, std::string>>> unknown =
      store_->DeviceCertificates("no-such-device");
  ASSERT_TRUE(unknown) << unknown.error();
  EXPECT_TRUE(unknown->empty());
}

TEST_P(StoreContractTest, EmptyStore) {
  ASSERT_TRUE(store_->Ping());
  Result<uint64_t> gen = store_->Generation();
  ASSERT_TRUE(gen) << gen.error();
  EXPECT_EQ(*gen, 0u);
  Result<std::optional<CertRecord>> rec = store_->GetRecord("demo", "01");
  ASSERT_TRUE(rec) << rec.error();
  EXPECT_FALSE(rec->has_value());
  Result<std::optional<StoredResponse>> resp =
      store_->GetResponse("demo", ocsp::HashAlg::kSha1, "01");
  ASSERT_TRUE(resp) << resp.error();
  EXPECT_FALSE(resp->has_value());
  Result<ChangesSince> changes = store_->Changes(0);
  ASSERT_TRUE(changes) << changes.error();
  EXPECT_TRUE(changes->changes.empty());
  EXPECT_FALSE(changes->truncated);
  EXPECT_EQ(changes->generation, 0u);
  Result<std::vector<CertRecord>> all = store_->ListRecords("");
  ASSERT_TRUE(all) << all.error();
  EXPECT_TRUE(all->empty());
}

TEST_P(StoreContractTest, ApplyThenGetRoundTripsRecordAndBinaryDer) {
  CertUpdate u = MakeUpdate("demo", "01AB", ocsp::CertStatus::kRevoked);
  ASSERT_EQ(MustApply(u), 1u);

  Result<std::optional<CertRecord>> rec = store_->GetRecord("demo", "01AB");
  ASSERT_TRUE(rec) << rec.error();
  ASSERT_TRUE(rec->has_value());
  const CertRecord& r = **rec;
  EXPECT_EQ(r.ca, "demo");
  EXPECT_EQ(r.serial_hex, "01AB");
  EXPECT_EQ(r.status, ocsp::CertStatus::kRevoked);
  EXPECT_EQ(r.revoked_at, u.record.revoked_at);
  EXPECT_EQ(r.reason, ocsp::RevocationReason::kKeyCompromise);
  EXPECT_EQ(r.not_before, u.record.not_before);
  EXPECT_EQ(r.not_after, u.record.not_after);
  EXPECT_EQ(r.subject, u.record.subject);
  EXPECT_EQ(r.device_id, u.record.device_id);
  EXPECT_EQ(r.source, Source::kDirectory);
  EXPECT_EQ(r.updated_at, u.record.updated_at);

  for (const auto& [alg, want] : u.responses) {
    Result<std::optional<StoredResponse>> got = store_->GetResponse("demo", alg, "01AB");
    ASSERT_TRUE(got) << got.error();
    ASSERT_TRUE(got->has_value());
    ASSERT_NE(want.der.find('\0'), std::string::npos);
    EXPECT_EQ((*got)->der, want.der);  // every byte, NULs included
    EXPECT_EQ((*got)->status, want.status);
    EXPECT_EQ((*got)->reason, want.reason);
    EXPECT_EQ((*got)->revoked_at, want.revoked_at);
    EXPECT_EQ((*got)->this_update, want.this_update);
    EXPECT_EQ((*got)->next_update, want.next_update);
  }
  Result<std::optional<StoredResponse>> other =
      store_->GetResponse("demo", ocsp::HashAlg::kSha384, "01AB");
  ASSERT_TRUE(other) << other.error();
  EXPECT_FALSE(other->has_value());
}

TEST_P(StoreContractTest, ReapplyReplacesRecordAndResponses) {
  MustApply(MakeUpdate("demo", "02"));
  CertUpdate revoked = MakeUpdate("demo", "02", ocsp::CertStatus::kRevoked);
  revoked.responses[0].second.der = BinaryDer("replaced", 3);
  MustApply(revoked);
  Result<std::optional<CertRecord>> rec = store_->GetRecord("demo", "02");
  ASSERT_TRUE(rec && rec->has_value());
  EXPECT_EQ((*rec)->status, ocsp::CertStatus::kRevoked);
  Result<std::optional<StoredResponse>> resp =
      store_->GetResponse("demo", revoked.responses[0].first, "02");
  ASSERT_TRUE(resp && resp->has_value());
  EXPECT_EQ((*resp)->der, BinaryDer("replaced", 3));
  EXPECT_EQ((*resp)->status, ocsp::CertStatus::kRevoked);
}

TEST_P(StoreContractTest, GenerationIncrementsOncePerApply) {
  EXPECT_EQ(MustApply(MakeUpdate("demo", "01")), 1u);
  EXPECT_EQ(MustApply(MakeUpdate("demo", "02")), 2u);
  EXPECT_EQ(MustApply(MakeUpdate("demo", "01")), 3u);  // the same certificate again
  Result<uint64_t> gen = store_->Generation();
  ASSERT_TRUE(gen) << gen.error();
  EXPECT_EQ(*gen, 3u);
}

TEST_P(StoreContractTest, ChangesListsLaterChangesInOrder) {
  for (const char* serial : {"0A", "0B", "0C", "0D", "0E"}) MustApply(MakeUpdate("demo", serial));
  Result<ChangesSince> changes = store_->Changes(2);
  ASSERT_TRUE(changes) << changes.error();
  EXPECT_FALSE(changes->truncated);
  EXPECT_EQ(changes->generation, 5u);
  ASSERT_EQ(changes->changes.size(), 3u);
  const char* want[] = {"0C", "0D", "0E"};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(changes->changes[i].generation, 3 + i);
    EXPECT_EQ(changes->changes[i].ca, "demo");
    EXPECT_EQ(changes->changes[i].serial_hex, want[i]);
  }
  Result<ChangesSince> none = store_->Changes(5);
  ASSERT_TRUE(none) << none.error();
  EXPECT_TRUE(none->changes.empty());
  EXPECT_FALSE(none->truncated);
  Result<ChangesSince> all = store_->Changes(0);
  ASSERT_TRUE(all) << all.error();
  EXPECT_EQ(all->changes.size(), 5u);
  EXPECT_FALSE(all->truncated);
}

TEST_P(StoreContractTest, ChangesFromTheFutureMeanReload) {
  MustApply(MakeUpdate("demo", "01"));
  // A responder that saw generation 9 from a store now at 1 talks to a store
  // that was reset: it must not trust its cache.
  Result<ChangesSince> changes = store_->Changes(9);
  ASSERT_TRUE(changes) << changes.error();
  EXPECT_TRUE(changes->truncated);
  EXPECT_EQ(changes->generation, 1u);
}

TEST_P(StoreContractTest, ChangeLogKeepsTheNewestEntriesAndReportsTruncation) {
  // kChangeLogLength + 10 changes: generations 11.. are kept, 1..10 trimmed.
  std::vector<CertUpdate> updates;
  const size_t total = static_cast<size_t>(kChangeLogLength) + 10;
  updates.reserve(total);
  CertUpdate u;
  u.record.ca = "demo";
  for (size_t i = 0; i < total; ++i) {
    u.record.serial_hex = i % 2 == 0 ? "0A" : "0B";  // small data set, long history
    updates.push_back(u);
  }
  Result<void> applied = store_->ApplyBatch(updates);
  ASSERT_TRUE(applied) << applied.error();

  Result<ChangesSince> reaches = store_->Changes(10);
  ASSERT_TRUE(reaches) << reaches.error();
  EXPECT_FALSE(reaches->truncated);
  EXPECT_EQ(reaches->generation, total);
  ASSERT_EQ(reaches->changes.size(), static_cast<size_t>(kChangeLogLength));
  EXPECT_EQ(reaches->changes.front().generation, 11u);
  EXPECT_EQ(reaches->changes.back().generation, total);

  Result<ChangesSince> gap = store_->Changes(9);
  ASSERT_TRUE(gap) << gap.error();
  EXPECT_TRUE(gap->truncated);
  Result<ChangesSince> from_zero = store_->Changes(0);
  ASSERT_TRUE(from_zero) << from_zero.error();
  EXPECT_TRUE(from_zero->truncated);
}

TEST_P(StoreContractTest, ApplyBatchAppliesEveryUpdateInOrder) {
  std::vector<CertUpdate> updates;
  for (int i = 0; i < 2500; ++i) {  // more than one pipelined batch
    char serial[16];
    std::snprintf(serial, sizeof(serial), "%04X", i);
    updates.push_back(MakeUpdate(i % 2 ? "odd" : "even", serial));
  }
  Result<void> applied = store_->ApplyBatch(updates);
  ASSERT_TRUE(applied) << applied.error();
  Result<uint64_t> gen = store_->Generation();
  ASSERT_TRUE(gen) << gen.error();
  EXPECT_EQ(*gen, 2500u);
  Result<ChangesSince> changes = store_->Changes(0);
  ASSERT_TRUE(changes) << changes.error();
  ASSERT_EQ(changes->changes.size(), 2500u);
  for (size_t i = 0; i < 2500; ++i) {
    ASSERT_EQ(changes->changes[i].generation, i + 1);
    ASSERT_EQ(changes->changes[i].serial_hex, updates[i].record.serial_hex);
  }
  Result<std::optional<StoredResponse>> last =
      store_->GetResponse("even", ocsp::HashAlg::kSha256, updates[2498].record.serial_hex);
  ASSERT_TRUE(last && last->has_value());
  EXPECT_EQ((*last)->der, updates[2498].responses[1].second.der);
  Result<void> empty = store_->ApplyBatch({});
  EXPECT_TRUE(empty) << empty.error();
}

TEST_P(StoreContractTest, ListRecordsReturnsEveryRecordOfTheCa) {
  std::vector<CertUpdate> updates;
  std::set<std::string> want_a;
  for (int i = 0; i < 5000; ++i) {
    char serial[16];
    std::snprintf(serial, sizeof(serial), "%06X", i);
    CertUpdate u = MakeUpdate(i < 4000 ? "a" : "b", serial);
    u.responses.clear();  // records are what is listed
    if (i < 4000) want_a.insert(serial);
    updates.push_back(std::move(u));
  }
  updates.push_back(MakeUpdate("ab", "01"));  // a CA whose name extends "a"
  ASSERT_TRUE(store_->ApplyBatch(updates));

  Result<std::vector<CertRecord>> a = store_->ListRecords("a");
  ASSERT_TRUE(a) << a.error();
  std::set<std::string> got_a;
  for (const CertRecord& r : *a) {
    EXPECT_EQ(r.ca, "a");
    got_a.insert(r.serial_hex);
  }
  EXPECT_EQ(a->size(), 4000u);  // no duplicates either
  EXPECT_EQ(got_a, want_a);

  Result<std::vector<CertRecord>> all = store_->ListRecords("");
  ASSERT_TRUE(all) << all.error();
  EXPECT_EQ(all->size(), 5001u);
  Result<std::vector<CertRecord>> none = store_->ListRecords("nope");
  ASSERT_TRUE(none) << none.error();
  EXPECT_TRUE(none->empty());
}

TEST_P(StoreContractTest, ConcurrentAppliesGetDistinctGenerations) {
  constexpr int kThreads = 4;
  constexpr int kEach = 200;
  std::vector<std::vector<uint64_t>> gens(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        Result<uint64_t> gen =
            store_->Apply(MakeUpdate("c" + std::to_string(t), std::to_string(i)));
        if (gen) gens[t].push_back(*gen);
        Result<std::optional<CertRecord>> rec = store_->GetRecord("c0", "0");
        (void)rec;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  std::set<uint64_t> all;
  for (const auto& g : gens) all.insert(g.begin(), g.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_EQ(*all.rbegin(), static_cast<uint64_t>(kThreads * kEach));
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreContractTest,
                         ::testing::Values(Backend::kMemory, Backend::kRedis),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param == Backend::kMemory ? "Memory" : "Redis";
                         });

}  // namespace
}  // namespace keyward::store
