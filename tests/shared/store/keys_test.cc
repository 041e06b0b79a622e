#include "shared/store/keys.h"

#include <gtest/gtest.h>

#include "shared/store/change_log.h"

namespace keyward::store {
namespace {

TEST(KeysTest, NamesEveryKeyUnderThePrefix) {
  Keys keys("t1:");
  EXPECT_EQ(keys.Generation(), "t1:gen");
  EXPECT_EQ(keys.ChangeLog(), "t1:changes");
  EXPECT_EQ(keys.Channel(), "t1:inval");
  EXPECT_EQ(keys.Cert("demo", "01AB"), "t1:cert:demo:01AB");
  EXPECT_EQ(keys.Response("demo", ocsp::HashAlg::kSha1, "01AB"), "t1:resp:demo:sha1:01AB");
  EXPECT_EQ(keys.Response("demo", ocsp::HashAlg::kSha256, "01AB"), "t1:resp:demo:sha256:01AB");
  EXPECT_EQ(keys.CertPattern("demo"), "t1:cert:demo:*");
  EXPECT_EQ(keys.CertPattern(""), "t1:cert:*");
  EXPECT_EQ(keys.ResponsePattern(), "t1:resp:*");
  EXPECT_EQ(Keys().Generation(), "kw:gen");
}

TEST(KeysTest, PatternsEscapeGlobCharacters) {
  Keys keys("a*b:");
  EXPECT_EQ(keys.CertPattern("x?[y]"), "a\\*b:cert:x\\?\\[y\\]:*");
  EXPECT_EQ(keys.ResponsePattern(), "a\\*b:resp:*");
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
