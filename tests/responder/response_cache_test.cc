#include "responder/response_cache.h"

#include <gtest/gtest.h>

#include <string>

namespace keyward::responder {
namespace {

CacheKey Key(uint16_t ca, ocsp::HashAlg alg, std::string_view hex) {
  CacheKey k;
  EXPECT_TRUE(MakeKeyFromHex(ca, alg, hex, &k));
  return k;
}

EntryPtr Entry(const CacheKey& key, ocsp::CertStatus status, std::string der,
               int64_t next_update = 2'000'000'000) {
  store::StoredResponse r;
  r.status = status;
  r.this_update = 1'700'000'000;
  r.next_update = next_update;
  r.der = std::move(der);
  return CacheEntry::Create(key, r, EntryKind::kPrecomputed, next_update);
}

// Looks `key` up and returns the DER, or "" on a miss.
std::string Lookup(const ResponseCache& cache, const CacheKey& key, int64_t now = 1'800'000'000) {
  std::string out;
  cache.Visit(key, now, [&](const CacheEntry& e) { out = e.DerString(); });
  return out;
}

TEST(CacheKeyTest, RequestAndStoreFormsAgree) {
  // The wire form of serial 0x80 carries a sign octet; SerialHex drops it.
  const uint8_t wire[] = {0x00, 0x80};
  CacheKey from_wire;
  ASSERT_TRUE(MakeKey(0, ocsp::HashAlg::kSha1, der::Bytes(wire, 2), &from_wire));
  EXPECT_EQ(from_wire, Key(0, ocsp::HashAlg::kSha1, "80"));
  EXPECT_EQ(HashKey(from_wire), HashKey(Key(0, ocsp::HashAlg::kSha1, "80")));
  EXPECT_FALSE(Key(0, ocsp::HashAlg::kSha1, "80") == Key(0, ocsp::HashAlg::kSha256, "80"));
  EXPECT_FALSE(Key(0, ocsp::HashAlg::kSha1, "80") == Key(1, ocsp::HashAlg::kSha1, "80"));
  CacheKey bad;
  EXPECT_FALSE(MakeKeyFromHex(0, ocsp::HashAlg::kSha1, "ABC", &bad));
  EXPECT_FALSE(MakeKeyFromHex(0, ocsp::HashAlg::kSha1, "ZZ", &bad));
  EXPECT_FALSE(MakeKey(0, ocsp::HashAlg::kSha1, der::Bytes(), &bad));
}

TEST(CacheEntryTest, HoldsHeadersAndDerInOneBlock) {
  CacheKey k = Key(0, ocsp::HashAlg::kSha1, "01");
  EntryPtr e = Entry(k, ocsp::CertStatus::kRevoked, "DERBYTES", 1'700'086'400);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->status(), ocsp::CertStatus::kRevoked);
  EXPECT_EQ(e->last_modified(), "Tue, 14 Nov 2023 22:13:20 GMT");
  EXPECT_EQ(e->expires(), "Wed, 15 Nov 2023 22:13:20 GMT");
  EXPECT_EQ(e->etag().size(), kEtagLength);
  EXPECT_EQ(e->etag().front(), '"');
  EXPECT_EQ(e->footprint(), sizeof(CacheEntry) + 8);
  // The same bytes always give the same ETag.
  EXPECT_EQ(Entry(k, ocsp::CertStatus::kGood, "DERBYTES")->etag(), e->etag());
  EXPECT_NE(Entry(k, ocsp::CertStatus::kGood, "OTHER")->etag(), e->etag());
}

TEST(ResponseCacheTest, InsertReplaceDrop) {
  ResponseCache cache;
  CacheKey a = Key(0, ocsp::HashAlg::kSha1, "0A");
  CacheKey b = Key(0, ocsp::HashAlg::kSha256, "0A");
  EXPECT_EQ(Lookup(cache, a), "");
  ASSERT_TRUE(cache.Insert(Entry(a, ocsp::CertStatus::kGood, "good-sha1"), cache.Epoch()));
  ASSERT_TRUE(cache.Insert(Entry(b, ocsp::CertStatus::kGood, "good-sha256"), cache.Epoch()));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(Lookup(cache, a), "good-sha1");
  // Replaced whole.
  ASSERT_TRUE(cache.Insert(Entry(a, ocsp::CertStatus::kRevoked, "revoked-sha1"), cache.Epoch()));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(Lookup(cache, a), "revoked-sha1");
  EXPECT_TRUE(cache.Erase(a));
  EXPECT_FALSE(cache.Erase(a));
  EXPECT_EQ(Lookup(cache, a), "");
  EXPECT_EQ(Lookup(cache, b), "good-sha256");
}

TEST(ResponseCacheTest, InvalidateDropsEveryVariant) {
  ResponseCache cache;
  CacheKey sha1 = Key(2, ocsp::HashAlg::kSha1, "1234");
  CacheKey sha256 = Key(2, ocsp::HashAlg::kSha256, "1234");
  CacheKey other = Key(2, ocsp::HashAlg::kSha1, "1235");
  ASSERT_TRUE(cache.Insert(Entry(sha1, ocsp::CertStatus::kGood, "x"), cache.Epoch()));
  ASSERT_TRUE(cache.Insert(Entry(sha256, ocsp::CertStatus::kGood, "y"), cache.Epoch()));
  ASSERT_TRUE(cache.Insert(Entry(other, ocsp::CertStatus::kGood, "z"), cache.Epoch()));
  cache.Invalidate(2, sha1.serial_bytes());
  EXPECT_EQ(Lookup(cache, sha1), "");
  EXPECT_EQ(Lookup(cache, sha256), "");
  EXPECT_EQ(Lookup(cache, other), "z");
  EXPECT_EQ(cache.size(), 1u);
}

// The worst bug: a "good" fetched before a revocation lands after it.
TEST(ResponseCacheTest, RefusesAnEntryFetchedBeforeItsInvalidation) {
  ResponseCache cache;
  CacheKey k = Key(0, ocsp::HashAlg::kSha1, "BEEF");
  uint64_t issued = cache.Epoch();        // the GET goes out...
  cache.Invalidate(0, k.serial_bytes());  // ...the revocation is applied...
  // ...and the old "good" comes back: refused.
  EXPECT_FALSE(cache.Insert(Entry(k, ocsp::CertStatus::kGood, "stale-good"), issued));
  EXPECT_EQ(Lookup(cache, k), "");
  // A fetch issued after the invalidation is accepted.
  EXPECT_TRUE(cache.Insert(Entry(k, ocsp::CertStatus::kRevoked, "revoked"), cache.Epoch()));
  EXPECT_EQ(Lookup(cache, k), "revoked");
  // Other certificates are not affected by that invalidation.
  CacheKey other = Key(0, ocsp::HashAlg::kSha1, "BEF0");
  EXPECT_TRUE(cache.Insert(Entry(other, ocsp::CertStatus::kGood, "g"), issued));
}

TEST(ResponseCacheTest, InvalidateAllRefusesEveryEarlierFetch) {
  ResponseCache cache;
  CacheKey k = Key(0, ocsp::HashAlg::kSha1, "01");
  ASSERT_TRUE(cache.Insert(Entry(k, ocsp::CertStatus::kGood, "g"), cache.Epoch()));
  uint64_t issued = cache.Epoch();
  cache.InvalidateAll();
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(Lookup(cache, k), "");
  EXPECT_FALSE(cache.Insert(Entry(k, ocsp::CertStatus::kGood, "g"), issued));
  EXPECT_TRUE(cache.Insert(Entry(k, ocsp::CertStatus::kGood, "g2"), cache.Epoch()));
}

TEST(ResponseCacheTest, FullKeyDecidesOnAHashCollision) {
  ResponseCache cache;
  CacheKey a = Key(0, ocsp::HashAlg::kSha1, "AAAA");
  CacheKey b = Key(0, ocsp::HashAlg::kSha1, "BBBB");
  CacheKey c = Key(0, ocsp::HashAlg::kSha1, "CCCC");
  const uint64_t h = 0x1234567890ABCDEFull;  // forced: all three share it
  ASSERT_TRUE(cache.InsertWithHash(Entry(a, ocsp::CertStatus::kGood, "A"), h, cache.Epoch()));
  ASSERT_TRUE(cache.InsertWithHash(Entry(b, ocsp::CertStatus::kRevoked, "B"), h, cache.Epoch()));
  auto get = [&](const CacheKey& k) {
    std::string out;
    cache.Visit(k, h, 1'800'000'000, [&](const CacheEntry& e) { out = e.DerString(); });
    return out;
  };
  EXPECT_EQ(get(a), "A");
  EXPECT_EQ(get(b), "B");
  EXPECT_EQ(get(c), "");
  // Removing the first of the probe run keeps the second reachable.
  EXPECT_TRUE(cache.Erase(a, h));
  EXPECT_EQ(get(a), "");
  EXPECT_EQ(get(b), "B");
}

TEST(ResponseCacheTest, ExpiredEntriesAreNotServedAndAreDropped) {
  ResponseCache cache;
  CacheKey k = Key(0, ocsp::HashAlg::kSha1, "01");
  ASSERT_TRUE(cache.Insert(Entry(k, ocsp::CertStatus::kGood, "g", 1000), cache.Epoch()));
  EXPECT_EQ(Lookup(cache, k, 999), "g");
  EXPECT_EQ(Lookup(cache, k, 1000), "");
  EXPECT_EQ(cache.DropExpired(1000), 1u);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(ResponseCacheTest, ManyEntriesGrowAndShrink) {
  ResponseCache cache;
  constexpr int kN = 20000;
  char hex[16];
  for (int i = 0; i < kN; ++i) {
    std::snprintf(hex, sizeof(hex), "%08X", i);
    ASSERT_TRUE(cache.Insert(
        Entry(Key(0, ocsp::HashAlg::kSha1, hex), ocsp::CertStatus::kGood, std::string(hex)),
        cache.Epoch()));
  }
  EXPECT_EQ(cache.size(), static_cast<size_t>(kN));
  for (int i = 0; i < kN; i += 2) {
    std::snprintf(hex, sizeof(hex), "%08X", i);
    ASSERT_TRUE(cache.Erase(Key(0, ocsp::HashAlg::kSha1, hex)));
  }
  for (int i = 0; i < kN; ++i) {
    std::snprintf(hex, sizeof(hex), "%08X", i);
    EXPECT_EQ(Lookup(cache, Key(0, ocsp::HashAlg::kSha1, hex)), i % 2 ? std::string(hex) : "");
  }
  // Entries cost their header plus DER, the table a few slots each: the
  // lean-memory target depends on it.
  size_t per_entry = cache.MemoryBytes() / cache.size();
  EXPECT_LT(per_entry, sizeof(CacheEntry) + 8 + 64);
}

}  // namespace
}  // namespace keyward::responder
