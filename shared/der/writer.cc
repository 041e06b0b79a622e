#include "shared/der/writer.h"

namespace keyward::der {
namespace {

// CivilFromDays turns days since 1970-01-01 into a proleptic Gregorian date
// (H. Hinnant's days_from_civil inverse), without gmtime's locale and TZ
// lookups and for any year.
void CivilFromDays(int64_t days, int64_t* year, unsigned* month, unsigned* day) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *day = doy - (153 * mp + 2) / 5 + 1;
  *month = mp < 10 ? mp + 3 : mp - 9;
  *year = static_cast<int64_t>(yoe) + era * 400 + (*month <= 2 ? 1 : 0);
}

void PutDigits(uint8_t*& p, unsigned value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<uint8_t>('0' + value % 10);
    value /= 10;
  }
  p += width;
}

}  // namespace

void PutGeneralizedTime(uint8_t*& p, int64_t unix_seconds) {
  // 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
  constexpr int64_t kMin = -62167219200;
  constexpr int64_t kMax = 253402300799;
  if (unix_seconds < kMin) unix_seconds = kMin;
  if (unix_seconds > kMax) unix_seconds = kMax;
  int64_t days = unix_seconds / 86400;
  int64_t secs = unix_seconds % 86400;
  if (secs < 0) {
    secs += 86400;
    --days;
  }
  int64_t year = 0;
  unsigned month = 0;
  unsigned day = 0;
  CivilFromDays(days, &year, &month, &day);
  *p++ = 0x18;  // GeneralizedTime
  *p++ = 15;
  PutDigits(p, static_cast<unsigned>(year), 4);
  PutDigits(p, month, 2);
  PutDigits(p, day, 2);
  PutDigits(p, static_cast<unsigned>(secs / 3600), 2);
  PutDigits(p, static_cast<unsigned>(secs / 60 % 60), 2);
  PutDigits(p, static_cast<unsigned>(secs % 60), 2);
  *p++ = 'Z';
}

}  // namespace keyward::der
