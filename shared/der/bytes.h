#pragma once
// der::Bytes: a borrowed view of bytes. Parsers hand out spans into their
// input; whoever owns the input keeps it alive.
#include <cstddef>
#include <cstdint>
#include <span>

namespace keyward::der {

using Bytes = std::span<const uint8_t>;

inline bool Equal(Bytes a, Bytes b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

}  // namespace keyward::der
