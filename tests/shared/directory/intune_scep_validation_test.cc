// The Intune SCEP validation API client against a local stand-in of the
// ScepRequestValidationFEService and the Entra token endpoint (the real
// services cannot be reached from test machines).
#include "shared/directory/intune_scep_validation.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/shared/directory/standin_server.h"

namespace keyward::directory {
namespace {

using test::StandIn;

class IntuneValidationTest : public ::testing::Test {
 protected:
  IntuneValidationTest() : server_([this](const http::Request& r) { return Handle(r); }) {
    cfg_.tenant_id = "tenant-1";
    cfg_.client_id = "app-1";
    cfg_.client_secret = "app-secret";
    cfg_.token_url = server_.url() + "/tenant-1/oauth2/v2.0/token";
    cfg_.validation_url = server_.url() +
                          "/TrafficGateway/PassThroughRoutingService/"
                          "CertificateAuthority/ScepRequestValidationFEService/";
  }

  http::Response Handle(const http::Request& r) {
    if (r.path.ends_with("/oauth2/v2.0/token")) {
      if (r.body.find("scope=https%3A%2F%2Fapi.manage.microsoft.com%2F%2F.default") ==
          std::string::npos) {
        return StandIn::Json(400, R"({"error":"invalid_scope"})");
      }
      return StandIn::Json(200, R"({"access_token":"intune-at","expires_in":3599})");
    }
    const std::string* auth = r.FindHeader("Authorization");
    const std::string* version = r.FindHeader("api-version");
    const std::string* id = r.FindHeader("client-request-id");
    if (auth == nullptr || *auth != "Bearer intune-at" || version == nullptr ||
        *version != "2018-02-20" || id == nullptr || id->size() != 36) {
      return StandIn::Json(401, "{}");
    }
    nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
    if (r.path.ends_with("/ScepActions/validateRequest")) {
      const auto& req = body["request"];
      if (req["transactionId"] == "tx-ok" && req["certificateRequest"] == "MIEBCg==" &&
          req["callerInfo"] == "Keyward") {
        return StandIn::Json(200, R"({"code":"Success","errorDescription":""})");
      }
      return StandIn::Json(200, R"({"code":"ChallengeExpiredError","errorDescription":"expired"})");
    }
    if (r.path.ends_with("/ScepActions/successNotification") ||
        r.path.ends_with("/ScepActions/failureNotification")) {
      notifications_.push_back(body);
      return StandIn::Json(200, R"({"code":"Success"})");
    }
    return StandIn::Json(404, "{}");
  }

  config::IntuneConfig cfg_;
  std::vector<nlohmann::json> notifications_;  // written by one worker at a time per test
  StandIn server_;
};

// Four bytes standing in for a CSR; base64 "MIEBCg==", which the stand-in checks.
const std::string kCsr("\x30\x81\x01\x0a", 4);

TEST_F(IntuneValidationTest, ValidateSuccessAndFailure) {
  IntuneScepValidator v(cfg_);
  Result<IntuneVerdict> ok = v.Validate("tx-ok", kCsr, 1000);
  ASSERT_TRUE(ok) << ok.error();
  EXPECT_TRUE(ok->valid);
  EXPECT_EQ(ok->code, "Success");
  Result<IntuneVerdict> expired = v.Validate("tx-old", kCsr, 1000);
  ASSERT_TRUE(expired) << expired.error();
  EXPECT_FALSE(expired->valid);
  EXPECT_EQ(expired->code, "ChallengeExpiredError");
  EXPECT_EQ(expired->description, "expired");
}

TEST_F(IntuneValidationTest, Notifications) {
  IntuneScepValidator v(cfg_);
  IntuneIssued issued;
  issued.transaction_id = "tx-ok";
  issued.csr_der = kCsr;
  issued.thumbprint_hex = "AB12";
  issued.serial_hex = "01F2";
  issued.expires_utc = "2027-01-31T12:00:00.0000000Z";
  issued.issuing_ca = "CN=demo CA";
  issued.ca_configuration = "demo";
  ASSERT_TRUE(v.NotifySuccess(issued, 1000));
  ASSERT_TRUE(v.NotifyFailure("tx-bad", kCsr, 0x80004005, "refused by policy", 1000));
  ASSERT_EQ(notifications_.size(), 2u);
  const auto& s = notifications_[0]["notification"];
  EXPECT_EQ(s["transactionId"], "tx-ok");
  EXPECT_EQ(s["certificateSerialNumber"], "01F2");
  EXPECT_EQ(s["certificateThumbprint"], "AB12");
  EXPECT_EQ(s["certificateRequest"], "MIEBCg==");
  const auto& f = notifications_[1]["notification"];
  EXPECT_EQ(f["hResult"], 0x80004005);
  EXPECT_EQ(f["errorDescription"], "refused by policy");
}

TEST_F(IntuneValidationTest, UnreachableOrUnsetIsNotValidated) {
  config::IntuneConfig unset = cfg_;
  unset.validation_url.clear();
  IntuneScepValidator none(unset);
  EXPECT_FALSE(none.Validate("tx-ok", kCsr, 0));
  config::IntuneConfig wrong = cfg_;
  wrong.client_secret = "x";
  wrong.token_url = server_.url() + "/nowhere";
  IntuneScepValidator no_token(wrong);
  EXPECT_FALSE(no_token.Validate("tx-ok", kCsr, 0));
}

}  // namespace
}  // namespace keyward::directory
