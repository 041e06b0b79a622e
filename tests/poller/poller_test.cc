// Poller passes against the in-memory store (no pub/sub needed here: the
// end-to-end tests cover the responders hearing of changes) and a real test
// CA whose delegated signer signs every response.
#include "poller/poller.h"

#include <gtest/gtest.h>

#include <fstream>

#include "shared/status/status_publisher.h"
#include "tests/support/test_pki.h"

namespace keyward::poller {
namespace {

constexpr int64_t kT0 = 1'800'000'000;

class PollerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pki_.Create());
    cfg_.ocsp.validity_s = 3600;
    cfg_.ocsp.resign_fraction = 0.5;
    config::CaConfig ca = pki_.config();
    ca.index = pki_.Path("index.txt");
    cfg_.cas.push_back(ca);
    cas_.push_back(std::move(pki_.ca()));
    store_ = store::NewMemoryStore();
    publisher_ = std::make_unique<status::StatusPublisher>(*store_, cas_, cfg_.ocsp);
    poller_ = std::make_unique<Poller>(cfg_, *store_, *publisher_);
  }

  void WriteIndex(const std::string& text) {
    std::ofstream(cfg_.cas[0].index, std::ios::trunc) << text;
  }

  store::CertRecord Record(const std::string& serial) {
    Result<std::optional<store::CertRecord>> r = store_->GetRecord(cfg_.cas[0].name, serial);
    EXPECT_TRUE(r.has_value());
    EXPECT_TRUE(r->has_value()) << serial;
    return r->value_or(store::CertRecord{});
  }

  test::TestPki pki_;
  config::Config cfg_;
  std::vector<pki::CaMaterial> cas_;
  std::unique_ptr<store::StoreWriter> store_;
  std::unique_ptr<status::StatusPublisher> publisher_;
  std::unique_ptr<Poller> poller_;
};

const char kValid[] = "V\t301201000000Z\t\t1000\tunknown\t/CN=a\n";
const char kRevoked[] = "R\t301201000000Z\t261101120000Z,keyCompromise\t1000\tunknown\t/CN=a\n";

TEST_F(PollerTest, PublishesIndexEntriesOnceAndFollowsChanges) {
  WriteIndex(kValid);
  Result<PassStats> first = poller_->RunPass(kT0);
  ASSERT_TRUE(first) << first.error();
  EXPECT_EQ(first->source_changes, 1u);
  EXPECT_EQ(Record("1000").status, ocsp::CertStatus::kGood);
  EXPECT_EQ(Record("1000").source, store::Source::kIndex);
  Result<std::optional<store::StoredResponse>> resp =
      store_->GetResponse(cfg_.cas[0].name, ocsp::HashAlg::kSha256, "1000");
  ASSERT_TRUE(resp && resp->has_value());
  EXPECT_EQ((*resp)->status, ocsp::CertStatus::kGood);

  Result<PassStats> again = poller_->RunPass(kT0 + 5);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->source_changes, 0u);

  WriteIndex(kRevoked);
  Result<PassStats> revoked = poller_->RunPass(kT0 + 10);
  ASSERT_TRUE(revoked);
  EXPECT_EQ(revoked->source_changes, 1u);
  store::CertRecord r = Record("1000");
  EXPECT_EQ(r.status, ocsp::CertStatus::kRevoked);
  EXPECT_EQ(r.reason, ocsp::RevocationReason::kKeyCompromise);
  resp = store_->GetResponse(cfg_.cas[0].name, ocsp::HashAlg::kSha1, "1000");
  ASSERT_TRUE(resp && resp->has_value());
  EXPECT_EQ((*resp)->status, ocsp::CertStatus::kRevoked);
}

TEST_F(PollerTest, AdminRevocationIsStickyAgainstTheIndex) {
  WriteIndex(kValid);
  ASSERT_TRUE(poller_->RunPass(kT0));
  store::CertRecord r = Record("1000");
  r.status = ocsp::CertStatus::kRevoked;
  r.reason = ocsp::RevocationReason::kKeyCompromise;
  r.revoked_at = kT0 + 1;
  r.source = store::Source::kKeyward;
  ASSERT_TRUE(publisher_->Publish(r, kT0 + 1));
  // The index still says V, and it is rewritten: the revocation must hold.
  WriteIndex(std::string(kValid) + "V\t301201000000Z\t\t1001\tunknown\t/CN=b\n");
  Result<PassStats> pass = poller_->RunPass(kT0 + 2);
  ASSERT_TRUE(pass);
  EXPECT_EQ(pass->source_changes, 1u);  // only the new 1001
  EXPECT_EQ(Record("1000").status, ocsp::CertStatus::kRevoked);
  EXPECT_EQ(Record("1001").status, ocsp::CertStatus::kGood);
}

TEST_F(PollerTest, ReSignsResponsesPastTheirRefreshPoint) {
  WriteIndex(kValid);
  ASSERT_TRUE(poller_->RunPass(kT0));
  Result<PassStats> early = poller_->RunPass(kT0 + 1799);
  ASSERT_TRUE(early);
  EXPECT_EQ(early->refreshed, 0u);
  Result<PassStats> due = poller_->RunPass(kT0 + 1800);
  ASSERT_TRUE(due);
  EXPECT_EQ(due->refreshed, 1u);
  Result<std::optional<store::StoredResponse>> resp =
      store_->GetResponse(cfg_.cas[0].name, ocsp::HashAlg::kSha1, "1000");
  ASSERT_TRUE(resp && resp->has_value());
  EXPECT_EQ((*resp)->next_update, kT0 + 1800 + 3600);
}

TEST_F(PollerTest, UnreadableIndexChangesNothing) {
  WriteIndex(kRevoked);
  ASSERT_TRUE(poller_->RunPass(kT0));
  std::remove(cfg_.cas[0].index.c_str());
  Result<PassStats> pass = poller_->RunPass(kT0 + 5);
  ASSERT_TRUE(pass);
  EXPECT_EQ(pass->source_errors, 1u);
  EXPECT_EQ(Record("1000").status, ocsp::CertStatus::kRevoked);
}

TEST_F(PollerTest, SeesRecordsOtherWritersAdd) {
  WriteIndex("");
  ASSERT_TRUE(poller_->RunPass(kT0));
  store::CertRecord r;
  r.ca = cfg_.cas[0].name;
  r.serial_hex = "ABCD";
  ASSERT_TRUE(publisher_->Publish(r, kT0));
  ASSERT_TRUE(poller_->RunPass(kT0 + 1));
  Result<PassStats> due = poller_->RunPass(kT0 + 1800);
  ASSERT_TRUE(due);
  EXPECT_EQ(due->refreshed, 1u);
  EXPECT_EQ(due->records, 1u);
}

}  // namespace
}  // namespace keyward::poller
