#pragma once
// Proleptic Gregorian dates from day counts and back (H. Hinnant's
// days_from_civil and its inverse): plain arithmetic for any year, without
// gmtime's lock, locale and time-zone lookups. DER times, HTTP dates and
// index.txt all use them.
#include <cstdint>

namespace keyward::util {

struct CivilDate {
  int64_t year;
  unsigned month;  // 1..12
  unsigned day;    // 1..31
};

// CivilFromDays: the date `days` after 1970-01-01, counting 400-year eras
// from 0000-03-01 (so the leap day ends each year).
constexpr CivilDate CivilFromDays(int64_t days) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned day = doy - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int64_t>(yoe) + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

// DaysFromCivil: days since 1970-01-01 of a proleptic Gregorian date.
constexpr int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// SplitDays: the day of `unix_seconds` (rounded down, before 1970 too) and
// the seconds into it, 0..86399.
constexpr void SplitDays(int64_t unix_seconds, int64_t* days, int64_t* seconds_of_day) {
  *days = unix_seconds / 86400;
  *seconds_of_day = unix_seconds % 86400;
  if (*seconds_of_day < 0) {
    *seconds_of_day += 86400;
    --*days;
  }
}

}  // namespace keyward::util
