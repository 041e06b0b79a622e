// DecodeGetPath / DecodeGetTarget on arbitrary text. Checks that outputs stay
// inside the buffer and under kMaxGetDerBytes, that a decoded target is one
// SEQUENCE, and that decoding round-trips through canonical base64.
#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "shared/ocsp/get_decoder.h"

namespace {

namespace ocsp = keyward::ocsp;

void Check(bool ok) {
  if (!ok) abort();
}

std::array<uint8_t, ocsp::kMaxGetDerBytes> g_out;
std::array<uint8_t, ocsp::kMaxGetDerBytes> g_again;
std::array<char, 4 * (ocsp::kMaxGetDerBytes / 3 + 1) + 1> g_b64;

void CheckOutput(keyward::der::Bytes got) {
  if (got.empty()) return;
  Check(got.data() == g_out.data() && got.size() <= g_out.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  keyward::der::Bytes target = ocsp::DecodeGetTarget(text, g_out);
  CheckOutput(target);
  if (!target.empty()) Check(target[0] == 0x30 && target.size() >= 2);

  keyward::der::Bytes path = ocsp::DecodeGetPath(text, g_out);
  CheckOutput(path);
  if (!path.empty()) {
    // Canonical base64 of what we decoded must decode to the same bytes.
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(g_b64.data()), path.data(),
                            static_cast<int>(path.size()));
    Check(n > 0);
    keyward::der::Bytes again =
        ocsp::DecodeGetPath(std::string_view(g_b64.data(), static_cast<size_t>(n)), g_again);
    Check(keyward::der::Equal(again, path));
  }
  // A small buffer must never be overrun (ASan watches the array bounds).
  std::array<uint8_t, 7> small;
  keyward::der::Bytes tiny = ocsp::DecodeGetPath(text, small);
  Check(tiny.size() <= small.size());
  return 0;
}
