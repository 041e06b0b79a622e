// FormatHttpDate against glibc's gmtime_r and strftime, over the years a
// certificate can name and at the edges of days, months and leap years.
#include "responder/http_date.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <ctime>
#include <random>
#include <string>

namespace keyward::responder {
namespace {

std::string Ours(int64_t t) {
  char buf[kHttpDateLength];
  FormatHttpDate(t, buf);
  return std::string(buf, kHttpDateLength);
}

std::string Reference(int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  EXPECT_NE(gmtime_r(&tt, &tm), nullptr);
  char buf[64];
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

TEST(HttpDateTest, KnownDates) {
  EXPECT_EQ(Ours(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(Ours(1764626115), "Mon, 01 Dec 2025 21:55:15 GMT");
  EXPECT_EQ(Ours(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");
  EXPECT_EQ(Ours(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
  EXPECT_EQ(Ours(253402300799), "Fri, 31 Dec 9999 23:59:59 GMT");
}

TEST(HttpDateTest, MatchesGmtimeFromYearOneToYear9999) {
  constexpr int64_t kFirst = -62135596800;  // 0001-01-01
  constexpr int64_t kLast = 253402300799;   // 9999-12-31 23:59:59
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> any(kFirst, kLast);
  for (int i = 0; i < 200000; ++i) {
    int64_t t = any(rng);
    ASSERT_EQ(Ours(t), Reference(t)) << t;
  }
  // Every day boundary (and the second before it) for eight years around
  // the leap-year rules of 1900, 2000 and 2100.
  for (int64_t base : {int64_t{-2208988800}, int64_t{946684800}, int64_t{4102444800}}) {
    for (int64_t d = -4 * 366; d < 4 * 366; ++d) {
      int64_t t = base + d * 86400;
      ASSERT_EQ(Ours(t), Reference(t)) << t;
      ASSERT_EQ(Ours(t - 1), Reference(t - 1)) << t - 1;
    }
  }
}

TEST(HttpDateTest, OutOfRangeYearsAreClampedNotOverflowed) {
  EXPECT_EQ(Ours(253402300800).substr(12, 4), "9999");  // 10000-01-01
  EXPECT_EQ(Ours(INT64_MAX).substr(12, 4), "9999");
  EXPECT_EQ(Ours(INT64_MIN).substr(12, 4), "0000");
  EXPECT_EQ(Ours(INT64_MIN).size(), kHttpDateLength);
}

}  // namespace
}  // namespace keyward::responder
