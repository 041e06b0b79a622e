#pragma once
// IMF-fixdate (RFC 9110 5.6.7) formatting for Date, Last-Modified and Expires.
#include <cstddef>
#include <cstdint>

namespace keyward::responder {

// "Tue, 01 Dec 2026 21:55:15 GMT" is always this long.
constexpr size_t kHttpDateLength = 29;

// FormatHttpDate writes exactly kHttpDateLength bytes (no terminator) for
// `unix_seconds` into `out`. Locale-independent; no heap.
void FormatHttpDate(int64_t unix_seconds, char* out);

}  // namespace keyward::responder
