#pragma once
// Webhook event authentication. A sender signs each POST:
//   X-Keyward-Timestamp: <unix seconds>
//   X-Keyward-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
// The timestamp binds the signature to a moment: a request older or newer
// than the replay window is refused, and within the window a signature seen
// once is refused again, so a captured request cannot be replayed.
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace keyward::directory {

inline constexpr std::string_view kTimestampHeader = "X-Keyward-Timestamp";
inline constexpr std::string_view kSignatureHeader = "X-Keyward-Signature";

enum class WebhookVerdict : uint8_t {
  kOk,
  kMissingHeaders,
  kBadTimestamp,  // not a decimal number
  kOutsideWindow,
  kBadSignature,
  kReplayed,
};
std::string_view WebhookVerdictName(WebhookVerdict v);

// WebhookSignature: "sha256=<hex>" for `timestamp` and `body` (senders, tests).
std::string WebhookSignature(std::string_view secret, std::string_view timestamp,
                             std::string_view body);

class WebhookVerifier {
 public:
  WebhookVerifier(std::string secret, int64_t window_s)
      : secret_(std::move(secret)), window_s_(window_s) {}

  // Verify checks one request at `now`. The signature is compared in constant
  // time (CRYPTO_memcmp). Thread-safe.
  WebhookVerdict Verify(std::string_view timestamp, std::string_view signature,
                        std::string_view body, int64_t now);

 private:
  std::string secret_;
  int64_t window_s_;
  std::mutex mu_;
  std::unordered_map<std::string, int64_t> seen_;  // signature -> its timestamp
};

}  // namespace keyward::directory
