// Memory-store specifics. Its behaviour as a StoreWriter (round trips,
// generations, change log and truncation, batches, listing, threads) is
// checked against the Redis store's in store_test.cc, where both run the
// same parametrised suite.
#include <gtest/gtest.h>

#include "shared/store/store.h"
#include "tests/shared/store/store_test_data.h"

namespace keyward::store {
namespace {

TEST(MemoryStoreTest, ReturnsCopiesNotViewsIntoTheStore) {
  std::unique_ptr<StoreWriter> store = NewMemoryStore();
  ASSERT_TRUE(store->Apply(MakeUpdate("demo", "01")));
  Result<std::optional<CertRecord>> rec = store->GetRecord("demo", "01");
  ASSERT_TRUE(rec && rec->has_value());
  (*rec)->status = ocsp::CertStatus::kRevoked;
  Result<std::optional<CertRecord>> again = store->GetRecord("demo", "01");
  ASSERT_TRUE(again && again->has_value());
  EXPECT_EQ((*again)->status, ocsp::CertStatus::kGood);
}

TEST(MemoryStoreTest, KeepsCasApart) {
  std::unique_ptr<StoreWriter> store = NewMemoryStore();
  ASSERT_TRUE(store->Apply(MakeUpdate("a", "01", ocsp::CertStatus::kRevoked)));
  ASSERT_TRUE(store->Apply(MakeUpdate("b", "01")));
  Result<std::optional<CertRecord>> a = store->GetRecord("a", "01");
  Result<std::optional<CertRecord>> b = store->GetRecord("b", "01");
  ASSERT_TRUE(a && a->has_value() && b && b->has_value());
  EXPECT_EQ((*a)->status, ocsp::CertStatus::kRevoked);
  EXPECT_EQ((*b)->status, ocsp::CertStatus::kGood);
  Result<std::optional<StoredResponse>> resp = store->GetResponse("b", ocsp::HashAlg::kSha1, "01");
  ASSERT_TRUE(resp && resp->has_value());
  EXPECT_EQ((*resp)->status, ocsp::CertStatus::kGood);
}

}  // namespace
}  // namespace keyward::store
