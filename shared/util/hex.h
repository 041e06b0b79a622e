#pragma once
// Hex digits, for every parser that reads them (serials, percent-encoding,
// signatures in headers).
namespace keyward::util {

// HexValue: 0..15 for a hex digit of either case, -1 for anything else.
constexpr int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace keyward::util
