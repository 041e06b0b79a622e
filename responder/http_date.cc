#include "responder/http_date.h"

#include <ctime>

namespace keyward::responder {
namespace {

void Two(int v, char* out) {
  out[0] = static_cast<char>('0' + (v / 10) % 10);
  out[1] = static_cast<char>('0' + v % 10);
}

}  // namespace

void FormatHttpDate(int64_t unix_seconds, char* out) {
  static constexpr char kDays[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr char kMonths[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) tm = std::tm{};
  // Years outside 0..9999 cannot be written in four digits; clamp rather than
  // overflow the fixed-width field.
  int year = tm.tm_year + 1900;
  if (year < 0) year = 0;
  if (year > 9999) year = 9999;
  const char* day = kDays[tm.tm_wday % 7];
  const char* mon = kMonths[tm.tm_mon % 12];
  out[0] = day[0];
  out[1] = day[1];
  out[2] = day[2];
  out[3] = ',';
  out[4] = ' ';
  Two(tm.tm_mday, out + 5);
  out[7] = ' ';
  out[8] = mon[0];
  out[9] = mon[1];
  out[10] = mon[2];
  out[11] = ' ';
  Two(year / 100, out + 12);
  Two(year % 100, out + 14);
  out[16] = ' ';
  Two(tm.tm_hour, out + 17);
  out[19] = ':';
  Two(tm.tm_min, out + 20);
  out[22] = ':';
  Two(tm.tm_sec, out + 23);
  out[25] = ' ';
  out[26] = 'G';
  out[27] = 'M';
  out[28] = 'T';
}

}  // namespace keyward::responder
