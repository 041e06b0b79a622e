#include "shared/store/keys.h"

#include <xxhash.h>

#include <charconv>
#include <cstdio>

namespace keyward::store {
namespace {

// SCAN MATCH is a glob: a CA name with a glob character must match itself.
std::string GlobEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

bool IsUpperHex(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); }

}  // namespace

std::string Keys::Cert(std::string_view ca, std::string_view serial) const {
  std::string key = p_;
  key.append("cert:").append(ca).append(":").append(serial);
  return key;
}

std::string Keys::CertPattern(std::string_view ca) const {
  std::string pattern = GlobEscape(p_) + "cert:";
  if (!ca.empty()) pattern.append(GlobEscape(ca)).append(":");
  pattern.push_back('*');
  return pattern;
}

std::string Keys::ResponseBucket(std::string_view ca, uint32_t bucket) const {
  char hex[8];
  std::snprintf(hex, sizeof hex, "%04X", static_cast<unsigned>(bucket % kResponseBuckets));
  std::string key = p_;
  key.append("resp:").append(ca).append(":").append(hex);
  return key;
}

std::string Keys::ResponseHash(std::string_view ca, std::string_view serial) const {
  return ResponseBucket(ca, ResponseBucketOf(serial));
}

uint32_t ResponseBucketOf(std::string_view serial_hex) {
  return static_cast<uint32_t>(XXH64(serial_hex.data(), serial_hex.size(), 0) &
                               (kResponseBuckets - 1));
}

std::string ResponseField(ocsp::HashAlg alg, std::string_view serial_hex) {
  std::string field(ocsp::HashAlgName(alg));
  field.append(":").append(serial_hex);
  return field;
}

std::string Keys::Device(std::string_view device_id) const {
  return p_ + "device:" + std::string(device_id);
}

std::string FormatInvalidation(const Invalidation& inv) {
  std::string text = std::to_string(inv.generation);
  text.append(" ").append(inv.ca).append(" ").append(inv.serial_hex);
  return text;
}

// "gen ca serial": a decimal generation without sign or leading zeros, a CA
// name without spaces, and a serial in ocsp::SerialHex form. Anything else is
// rejected, so a stray publish on the channel cannot evict the wrong entry.
std::optional<Invalidation> ParseInvalidation(std::string_view text) {
  size_t first = text.find(' ');
  if (first == std::string_view::npos) return std::nullopt;
  size_t second = text.find(' ', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  std::string_view gen = text.substr(0, first);
  std::string_view ca = text.substr(first + 1, second - first - 1);
  std::string_view serial = text.substr(second + 1);

  if (gen.empty() || (gen.size() > 1 && gen[0] == '0')) return std::nullopt;
  Invalidation inv;
  auto [end, ec] = std::from_chars(gen.data(), gen.data() + gen.size(), inv.generation);
  if (ec != std::errc() || end != gen.data() + gen.size()) return std::nullopt;

  if (ca.empty()) return std::nullopt;
  for (char c : ca) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7F) return std::nullopt;
  }
  if (serial.empty() || serial.size() > 2 * ocsp::kMaxSerialBytes) return std::nullopt;
  for (char c : serial) {
    if (!IsUpperHex(c)) return std::nullopt;
  }
  inv.ca.assign(ca);
  inv.serial_hex.assign(serial);
  return inv;
}

}  // namespace keyward::store
