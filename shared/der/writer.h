#pragma once
// DER writing in two passes: first add up the sizes (TlvSize), then write
// each header and its contents front to back into a buffer of exactly that
// size (PutHeader, PutBytes). The caller owns the buffer and its bounds; the
// writers only move the cursor. Used where OpenSSL's ASN.1 encoder would cost
// more than the bytes: the live OCSP responses.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "shared/der/bytes.h"

namespace keyward::der {

// LengthSize is the size of the DER length octets for `len` (X.690 8.1.3).
constexpr size_t LengthSize(size_t len) {
  if (len < 0x80) return 1;
  size_t n = 0;
  for (size_t v = len; v != 0; v >>= 8) ++n;
  return 1 + n;
}

// TlvSize is the size of one tag-length-value with `len` content octets.
constexpr size_t TlvSize(size_t len) { return 1 + LengthSize(len) + len; }

// PutHeader writes tag and length at `p` and moves `p` past them.
inline void PutHeader(uint8_t*& p, uint8_t tag, size_t len) {
  *p++ = tag;
  if (len < 0x80) {
    *p++ = static_cast<uint8_t>(len);
    return;
  }
  const size_t n = LengthSize(len) - 1;
  *p++ = static_cast<uint8_t>(0x80 | n);
  for (size_t i = 0; i < n; ++i) *p++ = static_cast<uint8_t>(len >> (8 * (n - 1 - i)));
}

inline void PutBytes(uint8_t*& p, Bytes bytes) {
  if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
  p += bytes.size();
}

// A GeneralizedTime TLV with seconds and 'Z' (RFC 5280 4.1.2.5.2): 17 octets.
constexpr size_t kGeneralizedTimeTlvSize = 17;

// PutGeneralizedTime writes `unix_seconds` as YYYYMMDDHHMMSSZ. Times before
// year 0 or after 9999 are clamped to the ends of that range, which DER's
// four-digit year cannot go past.
void PutGeneralizedTime(uint8_t*& p, int64_t unix_seconds);

}  // namespace keyward::der
