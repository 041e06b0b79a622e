// The poller's directory pass against a real redis-server, a real test CA and
// a local http-json stand-in: a whole fleet disabled at once (threshold
// raised) is re-signed, and the time it took is printed; the safety threshold
// holds a mass disable until `keyward directory confirm`; a restarted pass
// remembers device states from Redis even while the directory is down.
#include "poller/directory_pass.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "tests/shared/directory/standin_server.h"
#include "tests/support/redis_server.h"
#include "tests/support/test_pki.h"

namespace keyward::poller {
namespace {

constexpr int64_t kT0 = 1'800'000'000;

class DirectoryPassTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start());
    ASSERT_TRUE(pki_.Create());
    cfg_.store = redis_.store_config();
    cfg_.cas.push_back(pki_.config());
    cas_.push_back(std::move(pki_.ca()));
    Result<std::unique_ptr<store::StoreWriter>> s = store::ConnectRedis(cfg_.store);
    ASSERT_TRUE(s) << s.error();
    store_ = std::move(*s);
    publisher_ = std::make_unique<status::StatusPublisher>(*store_, cas_, cfg_.ocsp);
  }

  // Seed: `n` certificate records for devices dev-0..dev-(n-1), signed.
  void Seed(int n) {
    std::vector<store::CertRecord> batch;
    for (int i = 0; i < n; ++i) {
      store::CertRecord r;
      r.ca = cfg_.cas[0].name;
      char serial[32];
      std::snprintf(serial, sizeof serial, "7E%08X", i);
      r.serial_hex = serial;
      r.device_id = "dev-" + std::to_string(i);
      r.not_before = kT0 - 3600;
      r.not_after = kT0 + 365 * 86400;
      batch.push_back(r);
      if (batch.size() == 500 || i == n - 1) {
        ASSERT_TRUE(publisher_->PublishBatch(batch, kT0));
        batch.clear();
      }
    }
  }

  void AddDirectory(const std::string& url, double fraction) {
    config::DirectoryConfig d;
    d.name = "fleet";
    d.kind = "http-json";
    d.url = url;
    d.interval_s = 1;
    d.cas = {cfg_.cas[0].name};
    d.max_disable_fraction = fraction;
    cfg_.directories.push_back(d);
  }

  size_t CountRevoked(ocsp::RevocationReason reason) {
    Result<std::vector<store::CertRecord>> all = store_->ListRecords(cfg_.cas[0].name);
    EXPECT_TRUE(all);
    size_t n = 0;
    for (const store::CertRecord& r : *all) {
      n += r.status == ocsp::CertStatus::kRevoked && r.reason == reason &&
           r.source == store::Source::kDirectory;
    }
    return n;
  }

  test::RedisServer redis_;
  test::TestPki pki_;
  config::Config cfg_;
  std::vector<pki::CaMaterial> cas_;
  std::unique_ptr<store::StoreWriter> store_;
  std::unique_ptr<status::StatusPublisher> publisher_;
};

// Serves `n` devices in pages of 1000; the first `disabled` are disabled.
class Fleet {
 public:
  explicit Fleet(int n) : n_(n), server_([this](const http::Request& r) { return Page(r); }) {}
  std::string url() const { return server_.url() + "/devices"; }
  void Disable(int first) { disabled_ = first; }

 private:
  http::Response Page(const http::Request& r) {
    int page = r.query.empty() ? 0 : std::atoi(r.query.substr(r.query.find('=') + 1).c_str());
    std::string body = "{\"devices\":[";
    for (int i = page * 1000; i < std::min(n_, (page + 1) * 1000); ++i) {
      if (i != page * 1000) body += ",";
      body += "{\"id\":\"dev-" + std::to_string(i) +
              "\",\"enabled\":" + (i < disabled_.load() ? "false" : "true") + "}";
    }
    body += "],\"next\":";
    body += (page + 1) * 1000 < n_ ? "\"" + url() + "?page=" + std::to_string(page + 1) + "\""
                                   : std::string("null");
    body += "}";
    return test::StandIn::Json(200, body);
  }
  int n_;
  std::atomic<int> disabled_{0};
  test::StandIn server_;
};

TEST_F(DirectoryPassTest, TenThousandDisabledAtOnceAllResigned) {
  constexpr int kDevices = 10'000;
  Seed(kDevices);
  Fleet fleet(kDevices);
  AddDirectory(fleet.url(), 1.0);  // threshold raised: the whole fleet may go
  Poller poller(cfg_, *store_, *publisher_);
  ASSERT_TRUE(poller.RunPass(kT0));
  DirectoryPass pass(cfg_, poller, *publisher_);
  ASSERT_TRUE(pass.Start());
  pass.RunDue(kT0);
  EXPECT_EQ(pass.changes_applied(), 0u);

  fleet.Disable(kDevices);
  auto started = std::chrono::steady_clock::now();
  pass.RunDue(kT0 + 1);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  started)
                .count();
  EXPECT_EQ(pass.changes_applied(), static_cast<size_t>(kDevices));
  EXPECT_EQ(CountRevoked(ocsp::RevocationReason::kCertificateHold), static_cast<size_t>(kDevices));
  for (const char* serial : {"7E00000000", "7E00001388", "7E0000270F"}) {
    Result<std::optional<store::StoredResponse>> resp =
        store_->GetResponse(cfg_.cas[0].name, ocsp::HashAlg::kSha1, serial);
    ASSERT_TRUE(resp && resp->has_value()) << serial;
    EXPECT_EQ((*resp)->status, ocsp::CertStatus::kRevoked);
    EXPECT_EQ((*resp)->reason, ocsp::RevocationReason::kCertificateHold);
    EXPECT_EQ((*resp)->this_update + cfg_.ocsp.backdate_s, kT0 + 1);
  }
  std::cout << "[ figure ] " << kDevices << " devices disabled at once: fetched (10 pages), "
            << kDevices << " certificates re-signed (" << 2 * kDevices
            << " responses) and published in " << ms << " ms\n";

  fleet.Disable(0);
  started = std::chrono::steady_clock::now();
  pass.RunDue(kT0 + 2);
  ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                             started)
           .count();
  EXPECT_EQ(pass.changes_applied(), static_cast<size_t>(2 * kDevices));
  EXPECT_EQ(CountRevoked(ocsp::RevocationReason::kCertificateHold), 0u);
  std::cout << "[ figure ] " << kDevices << " devices re-enabled at once: good again in " << ms
            << " ms\n";
}

TEST_F(DirectoryPassTest, MassDisableHeldUntilConfirmed) {
  Seed(100);
  Fleet fleet(100);
  AddDirectory(fleet.url(), 0.1);  // default threshold, floor 10
  Poller poller(cfg_, *store_, *publisher_);
  ASSERT_TRUE(poller.RunPass(kT0));
  DirectoryPass pass(cfg_, poller, *publisher_);
  ASSERT_TRUE(pass.Start());
  pass.RunDue(kT0);

  fleet.Disable(5);  // under the floor: applied
  pass.RunDue(kT0 + 1);
  EXPECT_EQ(CountRevoked(ocsp::RevocationReason::kCertificateHold), 5u);

  fleet.Disable(60);  // 55 more of 100: held
  pass.RunDue(kT0 + 2);
  pass.RunDue(kT0 + 3);
  EXPECT_EQ(CountRevoked(ocsp::RevocationReason::kCertificateHold), 5u);
  EXPECT_EQ(pass.FindMetrics("fleet")->held.load(), 1);
  directory::StateStore states(cfg_.store, "fleet");
  Result<std::optional<directory::HeldSync>> held = states.GetHeld();
  ASSERT_TRUE(held && held->has_value());
  EXPECT_EQ((*held)->count, 55);
  EXPECT_EQ((*held)->known, 100);

  ASSERT_TRUE(states.Confirm(kT0 + 4));  // what `keyward directory confirm` does
  pass.RunDue(kT0 + 4);
  EXPECT_EQ(CountRevoked(ocsp::RevocationReason::kCertificateHold), 60u);
  EXPECT_EQ(pass.FindMetrics("fleet")->held.load(), 0);
  held = states.GetHeld();
  ASSERT_TRUE(held);
  EXPECT_FALSE(held->has_value());
}

TEST_F(DirectoryPassTest, RestartRemembersStatesWhileDirectoryIsDown) {
  Seed(3);
  std::string url;
  {
    Fleet fleet(3);
    fleet.Disable(1);
    url = fleet.url();
    AddDirectory(url, 1.0);
    Poller poller(cfg_, *store_, *publisher_);
    ASSERT_TRUE(poller.RunPass(kT0));
    DirectoryPass pass(cfg_, poller, *publisher_);
    ASSERT_TRUE(pass.Start());
    pass.RunDue(kT0);
    EXPECT_EQ(CountRevoked(ocsp::RevocationReason::kCertificateHold), 1u);
  }
  // The directory is gone now. A new certificate for the disabled device is
  // issued, and a poller starts afresh.
  store::CertRecord r;
  r.ca = cfg_.cas[0].name;
  r.serial_hex = "AB01";
  r.device_id = "dev-0";
  ASSERT_TRUE(publisher_->Publish(r, kT0 + 5));
  cfg_.directories[0].timeout_ms = 2000;
  Poller poller(cfg_, *store_, *publisher_);
  ASSERT_TRUE(poller.RunPass(kT0 + 10));
  DirectoryPass pass(cfg_, poller, *publisher_);
  ASSERT_TRUE(pass.Start());
  pass.RunDue(kT0 + 10);
  EXPECT_EQ(pass.FindMetrics("fleet")->up.load(), 0);
  EXPECT_EQ(pass.FindMetrics("fleet")->devices_disabled.load(), 1);
  // Nothing flipped back, and the new certificate follows the last known state.
  EXPECT_EQ(CountRevoked(ocsp::RevocationReason::kCertificateHold), 2u);
}

}  // namespace
}  // namespace keyward::poller
