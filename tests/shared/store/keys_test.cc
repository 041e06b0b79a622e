#include "shared/store/keys.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "shared/store/change_log.h"

namespace keyward::store {
namespace {

TEST(KeysTest, NamesEveryKeyUnderThePrefix) {
  Keys keys("t1:");
  EXPECT_EQ(keys.Generation(), "t1:gen");
  EXPECT_EQ(keys.ChangeLog(), "t1:changes");
  EXPECT_EQ(keys.Channel(), "t1:inval");
  EXPECT_EQ(keys.Cert("demo", "01AB"), "t1:cert:demo:01AB");
  EXPECT_EQ(keys.ResponseHash("demo", "01AB"), "t1:resp:demo:3F7F");
  EXPECT_EQ(keys.ResponseBucket("a:b", 10), "t1:resp:a:b:000A");
  EXPECT_EQ(keys.CertPattern("demo"), "t1:cert:demo:*");
  EXPECT_EQ(keys.CertPattern(""), "t1:cert:*");
  EXPECT_EQ(Keys().Generation(), "kw:gen");
}

TEST(KeysTest, PatternsEscapeGlobCharacters) {
  Keys keys("a*b:");
  EXPECT_EQ(keys.CertPattern("x?[y]"), "a\\*b:cert:x\\?\\[y\\]:*");
}

TEST(KeysTest, ResponseBucketsAreFixedAndSpread) {
  // The bucket is part of the stored schema: writers and readers of every
  // version must agree on it, so it is pinned here (docs/store.md).
  EXPECT_EQ(ResponseBucketOf("01AB"), 0x3F7Fu);
  EXPECT_EQ(ResponseBucketOf("1000"), 0x0AB3u);
  EXPECT_EQ(ResponseField(ocsp::HashAlg::kSha1, "01AB"), "sha1:01AB");
  EXPECT_EQ(ResponseField(ocsp::HashAlg::kSha256, "01AB"), "sha256:01AB");
  // Sequential serials, as an index.txt CA issues them, spread evenly.
  std::vector<int> count(kResponseBuckets);
  for (int i = 1; i <= 16 * static_cast<int>(kResponseBuckets); ++i) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "%X", i);
    uint32_t b = ResponseBucketOf(hex);
    ASSERT_LT(b, kResponseBuckets);
    ++count[b];
  }
  EXPECT_LT(*std::max_element(count.begin(), count.end()), 48);
  EXPECT_GT(*std::min_element(count.begin(), count.end()), 0);
}

TEST(InvalidationTest, FormatsAndParses) {
  Invalidation inv{42, "demo", "01AB"};
  EXPECT_EQ(FormatInvalidation(inv), "42 demo 01AB");
  std::optional<Invalidation> back = ParseInvalidation("42 demo 01AB");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->generation, 42u);
  EXPECT_EQ(back->ca, "demo");
  EXPECT_EQ(back->serial_hex, "01AB");
  std::optional<Invalidation> max = ParseInvalidation("18446744073709551615 c 00");
  ASSERT_TRUE(max);
  EXPECT_EQ(max->generation, UINT64_MAX);
}

TEST(InvalidationTest, ParseIsStrict) {
  const char* bad[] = {
      "",
      "42",
      "42 demo",
      "42 demo ",
      " 42 demo 01",
      "42  demo 01",
      "42 demo 01 extra",
      "042 demo 01",
      "-1 demo 01",
      "+1 demo 01",
      "4x2 demo 01",
      "18446744073709551616 demo 01",  // overflows uint64
      "42 demo 01ab",                  // SerialHex is uppercase
      "42 demo 0x01",
      "42 de\tmo 01",
      "1e5 demo 01",
  };
  for (const char* text : bad) EXPECT_FALSE(ParseInvalidation(text)) << "'" << text << "'";
  EXPECT_FALSE(ParseInvalidation(std::string_view("1 demo 0\0", 9)));
  EXPECT_FALSE(ParseInvalidation("1 demo " + std::string(2 * ocsp::kMaxSerialBytes + 1, 'A')));
  EXPECT_TRUE(ParseInvalidation("0 demo 00"));
}

TEST(ChangeLogTest, TruncationRule) {
  // Up to date, or nothing happened yet.
  EXPECT_FALSE(ChangeLogTruncated(5, 5, false, 1));
  EXPECT_FALSE(ChangeLogTruncated(0, 0, true, 0));
  // The log reaches back to since + 1.
  EXPECT_FALSE(ChangeLogTruncated(4, 9, false, 5));
  EXPECT_FALSE(ChangeLogTruncated(4, 9, false, 3));
  // It does not.
  EXPECT_TRUE(ChangeLogTruncated(3, 9, false, 5));
  EXPECT_TRUE(ChangeLogTruncated(3, 9, true, 0));
  // The generation went backwards: the store was reset.
  EXPECT_TRUE(ChangeLogTruncated(10, 2, false, 1));
}

}  // namespace
}  // namespace keyward::store
