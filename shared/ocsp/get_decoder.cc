#include "shared/ocsp/get_decoder.h"
#include "shared/util/hex.h"

#include <algorithm>

namespace keyward::ocsp {
namespace {

// A target can hold many raw '/' (base64 uses it); a legitimate one needs
// one try per path segment before the payload, so a few suffice. The cap
// bounds the work a target full of '/' can cause.
constexpr size_t kMaxTargetAttempts = 16;

enum class Expect { kAnything, kDerSequence };

// Base64Value: the 6-bit value of a standard-alphabet character (RFC 4648 4),
// or -1.
int Base64Value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// SequenceTotal: once the DER header in out[0..n) is complete, the total
// size a SEQUENCE TLV claims; 0 while more bytes are needed; SIZE_MAX if the
// bytes cannot start a SEQUENCE.
size_t SequenceTotal(const uint8_t* out, size_t n) {
  if (n >= 1 && out[0] != 0x30) return SIZE_MAX;
  if (n < 2) return 0;
  if (out[1] < 0x80) return 2 + out[1];
  size_t octets = out[1] & 0x7F;
  if (octets == 0 || octets > 4) return SIZE_MAX;
  if (n < 2 + octets) return 0;
  size_t len = 0;
  for (size_t i = 0; i < octets; ++i) len = (len << 8) | out[2 + i];
  return 2 + octets + len;
}

// Decode percent-decodes and base64-decodes `in` into `out`; returns the
// number of bytes written, 0 on any error. With kDerSequence it stops as soon
// as the bytes cannot be one SEQUENCE that covers the whole result, so a
// wrong guess in DecodeGetTarget costs a few characters, not the whole path.
size_t Decode(std::string_view in, std::span<uint8_t> out, Expect expect) {
  const size_t limit = std::min(out.size(), kMaxGetDerBytes);
  size_t n = 0;
  size_t data_chars = 0;
  size_t padding = 0;
  uint32_t bits = 0;
  int bit_count = 0;
  size_t total = 0;  // claimed SEQUENCE size once known (kDerSequence)
  for (size_t i = 0; i < in.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(in[i]);
    if (c == '%') {
      // Any %XX; what it stands for must still be base64 or a line break.
      if (in.size() - i < 3) return 0;
      int hi = util::HexValue(in[i + 1]);
      int lo = util::HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return 0;
      c = static_cast<unsigned char>(hi * 16 + lo);
      i += 2;
    }
    // Cisco IOS breaks the base64 with %0A; some clients send raw CR/LF.
    if (c == '\r' || c == '\n') continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    int v = Base64Value(c);
    if (v < 0 || padding > 0) return 0;  // not base64, or data after '='
    ++data_chars;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    bit_count += 6;
    if (bit_count < 8) continue;
    bit_count -= 8;
    if (n >= limit) return 0;
    out[n++] = static_cast<uint8_t>(bits >> bit_count);
    bits &= (1u << bit_count) - 1;
    if (expect == Expect::kDerSequence) {
      if (total == 0) {
        total = SequenceTotal(out.data(), n);
        if (total == SIZE_MAX) return 0;
      }
      if (total != 0 && n > total) return 0;
    }
  }
  // One leftover character carries 6 bits, not a byte: truncated input.
  // '=' may be missing (macOS, some libraries) but never more than needed.
  size_t tail = data_chars % 4;
  if (tail == 1) return 0;
  size_t max_padding = tail == 0 ? 0 : 4 - tail;
  if (padding > max_padding) return 0;
  if (n == 0) return 0;
  if (expect == Expect::kDerSequence && n != total) return 0;
  return n;
}

std::string_view WithoutQuery(std::string_view target) {
  size_t q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

}  // namespace

der::Bytes DecodeGetPath(std::string_view encoded, std::span<uint8_t> out) {
  size_t n = Decode(encoded, out, Expect::kAnything);
  return der::Bytes(out.data(), n);
}

std::string_view OcspPathPayload(std::string_view target) {
  target = WithoutQuery(target);
  for (size_t i = target.size(); i-- > 0;) {
    if (target[i] == '/' && i + 1 < target.size()) return target.substr(i + 1);
  }
  // No '/' followed by text: either no '/' at all (already the payload) or
  // only separators.
  return target.find('/') == std::string_view::npos ? target : std::string_view();
}

der::Bytes DecodeGetTarget(std::string_view target, std::span<uint8_t> out) {
  target = WithoutQuery(target);
  // absolute-form ("http://host/...", RFC 9112 3.2.2), as a proxy would send.
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.substr(0, scheme.size()) == scheme) {
      size_t path = target.find('/', scheme.size());
      if (path == std::string_view::npos) return {};
      target = target.substr(path);
      break;
    }
  }
  if (target.empty() || target[0] != '/') return {};
  std::string_view candidate = target.substr(1);
  for (size_t attempt = 0; attempt < kMaxTargetAttempts && !candidate.empty(); ++attempt) {
    size_t n = Decode(candidate, out, Expect::kDerSequence);
    if (n != 0) return der::Bytes(out.data(), n);
    size_t slash = candidate.find('/');
    if (slash == std::string_view::npos) break;
    candidate = candidate.substr(slash + 1);
  }
  return {};
}

}  // namespace keyward::ocsp
