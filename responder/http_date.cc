#include "responder/http_date.h"

namespace keyward::responder {
namespace {

void Two(int64_t v, char* out) {
  out[0] = static_cast<char>('0' + (v / 10) % 10);
  out[1] = static_cast<char>('0' + v % 10);
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

struct Civil {
  int64_t year;
  int month;  // 1..12
  int day;    // 1..31
};

// CivilFromDays: the proleptic Gregorian date `days` after 1970-01-01, by
// counting 400-year eras from 0000-03-01 (the leap day then ends each year).
// Plain arithmetic instead of gmtime_r: the warm-up formats two dates for
// each of millions of entries, and glibc's gmtime_r takes a lock each time.
Civil CivilFromDays(int64_t days) {
  const int64_t z = days + 719468;  // days since 0000-03-01
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;                                       // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                     // March = 0
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

}  // namespace

void FormatHttpDate(int64_t unix_seconds, char* out) {
  static constexpr char kDays[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr char kMonths[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  // Far outside any certificate's life, and where the day count would
  // overflow: pinned, like the year below.
  constexpr int64_t kLimit = int64_t{1} << 50;
  if (unix_seconds > kLimit) unix_seconds = kLimit;
  if (unix_seconds < -kLimit) unix_seconds = -kLimit;
  const int64_t days = FloorDiv(unix_seconds, 86400);
  const int64_t secs = unix_seconds - days * 86400;
  const Civil c = CivilFromDays(days);
  const int64_t wday = ((days % 7) + 7 + 4) % 7;  // 1970-01-01 was a Thursday
  // Years outside 0..9999 cannot be written in four digits; clamp rather than
  // overflow the fixed-width field.
  int64_t year = c.year;
  if (year < 0) year = 0;
  if (year > 9999) year = 9999;
  const char* day = kDays[wday];
  const char* mon = kMonths[c.month - 1];
  out[0] = day[0];
  out[1] = day[1];
  out[2] = day[2];
  out[3] = ',';
  out[4] = ' ';
  Two(c.day, out + 5);
  out[7] = ' ';
  out[8] = mon[0];
  out[9] = mon[1];
  out[10] = mon[2];
  out[11] = ' ';
  Two(year / 100, out + 12);
  Two(year % 100, out + 14);
  out[16] = ' ';
  Two(secs / 3600, out + 17);
  out[19] = ':';
  Two(secs / 60 % 60, out + 20);
  out[22] = ':';
  Two(secs % 60, out + 23);
  out[25] = ' ';
  out[26] = 'G';
  out[27] = 'M';
  out[28] = 'T';
}

}  // namespace keyward::responder
