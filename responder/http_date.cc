#include "responder/http_date.h"

#include "shared/util/civil_date.h"

namespace keyward::responder {
namespace {

void Two(int64_t v, char* out) {
  out[0] = static_cast<char>('0' + (v / 10) % 10);
  out[1] = static_cast<char>('0' + v % 10);
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
  int64_t days = 0;
  int64_t secs = 0;
  util::SplitDays(unix_seconds, &days, &secs);
  const util::CivilDate c = util::CivilFromDays(days);
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
