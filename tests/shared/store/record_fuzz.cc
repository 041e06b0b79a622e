// Fuzzes what a responder reads from Redis: response blobs and invalidation
// messages. Property: whatever parses is exactly what the writer would have
// produced for the parsed value (both formats are canonical).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "shared/store/keys.h"
#include "shared/store/record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (std::optional<keyward::store::StoredResponse> blob = keyward::store::DecodeResponseBlob(in)) {
    if (keyward::store::EncodeResponseBlob(*blob) != in) std::abort();
  }
  if (std::optional<keyward::store::Invalidation> inv = keyward::store::ParseInvalidation(in)) {
    if (keyward::store::FormatInvalidation(*inv) != in) std::abort();
  }
  return 0;
}
