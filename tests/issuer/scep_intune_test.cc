// The "intune" challenge mode: the issuer asks a stand-in of Intune's SCEP
// validation API (the real one cannot be reached from test machines), issues
// only on "Success", and reports success or failure back.
#include <gtest/gtest.h>

#include <mutex>
#include <nlohmann/json.hpp>

#include "tests/issuer/scep_fixture.h"
#include "tests/shared/directory/standin_server.h"

namespace keyward::test {
namespace {

class ScepIntuneTest : public ScepFixture {
 protected:
  ScepIntuneTest() : intune_([this](const http::Request& r) { return Handle(r); }) {}

  http::Response Handle(const http::Request& r) {
    if (r.path.ends_with("/oauth2/v2.0/token")) {
      return StandIn::Json(200, R"({"access_token":"at","expires_in":3599})");
    }
    nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
    if (r.path.ends_with("/ScepActions/validateRequest")) {
      bool ok = body["request"]["transactionId"] == "intune-ok";
      return StandIn::Json(200, ok ? R"({"code":"Success","errorDescription":""})"
                                   : R"({"code":"ChallengeExpiredError","errorDescription":"x"})");
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (r.path.ends_with("/ScepActions/successNotification")) successes_.push_back(body);
    if (r.path.ends_with("/ScepActions/failureNotification")) failures_.push_back(body);
    return StandIn::Json(200, R"({"code":"Success"})");
  }

  void UseIntune() {
    cfg_.issuer.challenge_mode = "intune";
    cfg_.intune.tenant_id = "t";
    cfg_.intune.client_id = "c";
    cfg_.intune.client_secret = "s";
    cfg_.intune.token_url = intune_.url() + "/t/oauth2/v2.0/token";
    cfg_.intune.validation_url = intune_.url() + "/ScepRequestValidationFEService/";
    Start();
  }

  std::mutex mu_;
  std::vector<nlohmann::json> successes_;
  std::vector<nlohmann::json> failures_;
  StandIn intune_;
};

TEST_F(ScepIntuneTest, IssuesOnlyWhatIntuneValidatesAndReportsBoth) {
  UseIntune();
  Client good = NewClient();
  sc::MessageSpec ok_spec;
  ok_spec.transaction_id = "intune-ok";
  sc::Reply ok = Enroll(good, ok_spec);
  ASSERT_EQ(ok.pki_status, "0") << ok.fail_text;
  ASSERT_EQ(ok.certs.size(), 1u);
  EXPECT_EQ(RecordStatus(ok.certs[0].get()), "good");

  Client bad = NewClient();
  sc::MessageSpec bad_spec;
  bad_spec.transaction_id = "intune-no";
  sc::Reply refused = Enroll(bad, bad_spec);
  EXPECT_EQ(refused.pki_status, "2");
  EXPECT_EQ(RecordCount(), 1u);  // nothing issued for the refused one

  std::lock_guard<std::mutex> lock(mu_);
  ASSERT_EQ(successes_.size(), 1u);
  EXPECT_EQ(successes_[0]["notification"]["transactionId"], "intune-ok");
  ASSERT_EQ(failures_.size(), 1u);
  EXPECT_EQ(failures_[0]["notification"]["transactionId"], "intune-no");
}

TEST_F(ScepIntuneTest, UnreachableIntuneIssuesNothing) {
  cfg_.intune.validation_url = "http://127.0.0.1:1/ScepRequestValidationFEService/";
  cfg_.issuer.challenge_mode = "intune";
  cfg_.intune.token_url = "http://127.0.0.1:1/token";
  cfg_.intune.client_secret = "s";
  Start();
  Client c = NewClient();
  sc::MessageSpec spec;
  spec.transaction_id = "intune-ok";
  sc::Reply r = Enroll(c, spec);
  EXPECT_EQ(r.pki_status, "2");
  EXPECT_EQ(RecordCount(), 0u);
}

}  // namespace
}  // namespace keyward::test
