#include "shared/der/writer.h"

#include "shared/util/civil_date.h"

namespace keyward::der {
namespace {

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
  int64_t days = 0;
  int64_t secs = 0;
  util::SplitDays(unix_seconds, &days, &secs);
  const util::CivilDate date = util::CivilFromDays(days);
  *p++ = 0x18;  // GeneralizedTime
  *p++ = 15;
  PutDigits(p, static_cast<unsigned>(date.year), 4);
  PutDigits(p, date.month, 2);
  PutDigits(p, date.day, 2);
  PutDigits(p, static_cast<unsigned>(secs / 3600), 2);
  PutDigits(p, static_cast<unsigned>(secs / 60 % 60), 2);
  PutDigits(p, static_cast<unsigned>(secs % 60), 2);
  *p++ = 'Z';
}

}  // namespace keyward::der
