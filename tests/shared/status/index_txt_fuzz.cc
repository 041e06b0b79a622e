// libFuzzer target: OpenSSL index.txt parsing (a file another CA writes).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "shared/status/index_txt.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  keyward::status::IndexParse parsed = keyward::status::ParseIndex(text);
  for (const auto& e : parsed.entries) {
    if (e.serial_hex.empty()) __builtin_trap();
  }
  return 0;
}
