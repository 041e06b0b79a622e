#include "shared/directory/webhook_auth.h"
#include "shared/util/hex.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>

#include "shared/openssl/ptr.h"

namespace keyward::directory {
namespace {

constexpr size_t kMacLen = 32;
constexpr size_t kMaxSeen = 100'000;  // bounds memory under a flood of valid posts

bool Mac(std::string_view secret, std::string_view timestamp, std::string_view body,
         unsigned char out[kMacLen]) {
  std::string msg;
  msg.reserve(timestamp.size() + 1 + body.size());
  msg.append(timestamp).append(".").append(body);
  unsigned int len = 0;
  unsigned char* ok =
      HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), out, &len);
  openssl::DrainErrors();
  return ok != nullptr && len == kMacLen;
}

}  // namespace

std::string_view WebhookVerdictName(WebhookVerdict v) {
  switch (v) {
    case WebhookVerdict::kOk:
      return "ok";
    case WebhookVerdict::kMissingHeaders:
      return "missing_headers";
    case WebhookVerdict::kBadTimestamp:
      return "bad_timestamp";
    case WebhookVerdict::kOutsideWindow:
      return "outside_window";
    case WebhookVerdict::kBadSignature:
      return "bad_signature";
    case WebhookVerdict::kReplayed:
      return "replayed";
  }
  return "bad_signature";
}

std::string WebhookSignature(std::string_view secret, std::string_view timestamp,
                             std::string_view body) {
  unsigned char mac[kMacLen];
  if (!Mac(secret, timestamp, body, mac)) return "";
  static const char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned char b : mac) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

WebhookVerdict WebhookVerifier::Verify(std::string_view timestamp, std::string_view signature,
                                       std::string_view body, int64_t now) {
  if (timestamp.empty() || signature.empty()) return WebhookVerdict::kMissingHeaders;
  int64_t ts = 0;
  auto [end, ec] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), ts);
  if (ec != std::errc() || end != timestamp.data() + timestamp.size()) {
    return WebhookVerdict::kBadTimestamp;
  }
  if (ts < now - window_s_ || ts > now + window_s_) return WebhookVerdict::kOutsideWindow;
  constexpr std::string_view kPrefix = "sha256=";
  if (signature.substr(0, kPrefix.size()) != kPrefix) return WebhookVerdict::kBadSignature;
  std::string_view hex = signature.substr(kPrefix.size());
  if (hex.size() != 2 * kMacLen) return WebhookVerdict::kBadSignature;
  unsigned char given[kMacLen];
  for (size_t i = 0; i < kMacLen; ++i) {
    int hi = util::HexValue(hex[2 * i]);
    int lo = util::HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return WebhookVerdict::kBadSignature;
    given[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  unsigned char want[kMacLen];
  if (!Mac(secret_, timestamp, body, want)) return WebhookVerdict::kBadSignature;
  if (CRYPTO_memcmp(given, want, kMacLen) != 0) return WebhookVerdict::kBadSignature;

  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = seen_.begin(); it != seen_.end();) {
    it = it->second < now - window_s_ ? seen_.erase(it) : std::next(it);
  }
  std::string key(reinterpret_cast<const char*>(want), kMacLen);
  if (seen_.count(key) != 0) return WebhookVerdict::kReplayed;
  if (seen_.size() < kMaxSeen) seen_.emplace(std::move(key), ts);
  return WebhookVerdict::kOk;
}

}  // namespace keyward::directory
