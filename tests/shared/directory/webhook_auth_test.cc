// Webhook authentication: HMAC-SHA256 over timestamp "." body, replay window,
// single use, constant-time compare.
#include "shared/directory/webhook_auth.h"

#include <gtest/gtest.h>

namespace keyward::directory {
namespace {

constexpr int64_t kNow = 1'800'000'000;
const std::string kBody = R"({"devices":[{"id":"d1","enabled":false}]})";

TEST(WebhookAuthTest, KnownAnswer) {
  // printf '1800000000.x' | openssl dgst -sha256 -hmac s3cret
  std::string sig = WebhookSignature("s3cret", "1800000000", "x");
  EXPECT_EQ(sig, "sha256=5896270ab9cb51c7b22ebd4ba362061a540776b23dd752384c64e4812d6f54e5");
  EXPECT_NE(sig, WebhookSignature("s3cret", "1800000001", "x"));
  EXPECT_NE(sig, WebhookSignature("other", "1800000000", "x"));
}

TEST(WebhookAuthTest, AcceptsOnceRefusesReplay) {
  WebhookVerifier v("s3cret", 300);
  std::string ts = std::to_string(kNow);
  std::string sig = WebhookSignature("s3cret", ts, kBody);
  EXPECT_EQ(v.Verify(ts, sig, kBody, kNow), WebhookVerdict::kOk);
  EXPECT_EQ(v.Verify(ts, sig, kBody, kNow + 1), WebhookVerdict::kReplayed);
}

TEST(WebhookAuthTest, RefusesWhatIsWrong) {
  WebhookVerifier v("s3cret", 300);
  std::string ts = std::to_string(kNow);
  std::string sig = WebhookSignature("s3cret", ts, kBody);
  EXPECT_EQ(v.Verify("", sig, kBody, kNow), WebhookVerdict::kMissingHeaders);
  EXPECT_EQ(v.Verify(ts, "", kBody, kNow), WebhookVerdict::kMissingHeaders);
  EXPECT_EQ(v.Verify("12x", sig, kBody, kNow), WebhookVerdict::kBadTimestamp);
  EXPECT_EQ(v.Verify(ts, sig, kBody + " ", kNow), WebhookVerdict::kBadSignature);
  EXPECT_EQ(v.Verify(ts, WebhookSignature("wrong", ts, kBody), kBody, kNow),
            WebhookVerdict::kBadSignature);
  EXPECT_EQ(v.Verify(ts, sig.substr(0, sig.size() - 2), kBody, kNow),
            WebhookVerdict::kBadSignature);
  EXPECT_EQ(v.Verify(ts, "sha1=" + sig.substr(7), kBody, kNow), WebhookVerdict::kBadSignature);
  std::string bad_hex = sig;
  bad_hex.back() = 'g';
  EXPECT_EQ(v.Verify(ts, bad_hex, kBody, kNow), WebhookVerdict::kBadSignature);
  std::string old_ts = std::to_string(kNow - 301);
  EXPECT_EQ(v.Verify(old_ts, WebhookSignature("s3cret", old_ts, kBody), kBody, kNow),
            WebhookVerdict::kOutsideWindow);
  std::string future_ts = std::to_string(kNow + 301);
  EXPECT_EQ(v.Verify(future_ts, WebhookSignature("s3cret", future_ts, kBody), kBody, kNow),
            WebhookVerdict::kOutsideWindow);
  // None of the refusals used up the good signature.
  EXPECT_EQ(v.Verify(ts, sig, kBody, kNow), WebhookVerdict::kOk);
}

TEST(WebhookAuthTest, UpperCaseHexAccepted) {
  WebhookVerifier v("s3cret", 300);
  std::string ts = std::to_string(kNow);
  std::string sig = WebhookSignature("s3cret", ts, kBody);
  for (size_t i = 7; i < sig.size(); ++i) sig[i] = static_cast<char>(std::toupper(sig[i]));
  EXPECT_EQ(v.Verify(ts, sig, kBody, kNow), WebhookVerdict::kOk);
}

}  // namespace
}  // namespace keyward::directory
