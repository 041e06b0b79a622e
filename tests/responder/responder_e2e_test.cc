// End to end: a real redis-server, a test CA, records published with
// StatusPublisher (what `keyward issue/revoke` and the poller do), and a real
// responder in process queried over loopback sockets.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "responder/responder.h"
#include "shared/pki/ca_material.h"
#include "shared/status/status_publisher.h"
#include "shared/store/store.h"
#include "tests/responder/test_client.h"
#include "tests/support/redis_server.h"
#include "tests/support/test_pki.h"

namespace keyward::responder {
namespace {

test::TestPki::Options ForeignOptions() {
  test::TestPki::Options o;
  o.name = "foreign";
  return o;
}

using testing::Exchange;
using testing::OcspRequest;
using testing::ParseOcsp;
using testing::Post;
using Clock = std::chrono::steady_clock;

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

class ResponderE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start());
    ASSERT_TRUE(pki_.Create());
    ASSERT_TRUE(foreign_.Create());
    Result<std::unique_ptr<store::StoreWriter>> store = store::ConnectRedis(redis_.store_config());
    ASSERT_TRUE(store) << store.error();
    store_ = std::move(*store);
    Result<pki::CaMaterial> ca = pki::LoadCa(pki_.config(), pki::KeyUse::kOcspOnly);
    ASSERT_TRUE(ca) << ca.error();
    publisher_cas_.push_back(std::move(*ca));
    publisher_ = std::make_unique<status::StatusPublisher>(*store_, publisher_cas_, ocsp_);
  }

  void TearDown() override {
    if (responder_) responder_->Stop();
  }

  test::TestPki::Leaf Issue(const std::string& stem, bool publish = true) {
    Result<test::TestPki::Leaf> leaf = pki_.IssueLeaf(stem);
    EXPECT_TRUE(leaf) << leaf.error();
    if (publish) Publish(leaf->record);
    return std::move(*leaf);
  }
  void Publish(const store::CertRecord& record) {
    Result<uint64_t> gen = publisher_->Publish(record, Now());
    ASSERT_TRUE(gen) << gen.error();
  }
  void Revoke(store::CertRecord record,
              ocsp::RevocationReason reason = ocsp::RevocationReason::kKeyCompromise) {
    record.status = ocsp::CertStatus::kRevoked;
    record.reason = reason;
    record.revoked_at = Now();
    Publish(record);
  }

  void StartResponder(int workers = 2) {
    config::Config cfg;
    cfg.store = redis_.store_config();
    cfg.ocsp = ocsp_;
    cfg.responder.listen = {"127.0.0.1:0"};
    cfg.responder.workers = workers;
    cfg.responder.signer_threads = 2;
    cfg.responder.negative_cache_s = 60;
    std::vector<pki::CaMaterial> cas;
    Result<pki::CaMaterial> ca = pki::LoadCa(pki_.config(), pki::KeyUse::kOcspOnly);
    ASSERT_TRUE(ca) << ca.error();
    cas.push_back(std::move(*ca));
    responder_ = std::make_unique<Responder>(cfg, std::move(cas));
    Result<void> started = responder_->Start();
    ASSERT_TRUE(started) << started.error();
    port_ = responder_->ports()[0];
    ASSERT_TRUE(WaitHealthy());
  }

  // WaitHealthy polls /healthz until it says ok (or gives up after 20 s).
  bool WaitHealthy() {
    auto deadline = Clock::now() + std::chrono::seconds(20);
    while (Clock::now() < deadline) {
      std::optional<testing::HttpReply> r = Exchange(port_, testing::Get("/healthz"));
      if (r && r->status == 200) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // Status of `leaf` as the responder states it (-1: no usable answer).
  testing::OcspResult Query(const test::TestPki::Leaf& leaf, const EVP_MD* md = EVP_sha1(),
                            bool nonce = false) {
    std::string req = OcspRequest(pki_.ca().cert.get(), leaf.cert.get(), md, nonce);
    std::optional<testing::HttpReply> r = Exchange(port_, Post("/", req));
    if (!r || r->status != 200) return {};
    return ParseOcsp(r->body, pki_.ca().cert.get(), leaf.cert.get(), req, md);
  }

  std::string Metrics() {
    std::optional<testing::HttpReply> r = Exchange(port_, testing::Get("/metrics"));
    return r ? r->body : std::string();
  }
  uint64_t Metric(const std::string& line_prefix) {
    std::string m = Metrics();
    size_t at = m.find("\n" + line_prefix + " ");
    if (at == std::string::npos) return 0;
    return std::stoull(m.substr(at + line_prefix.size() + 2));
  }

  config::OcspConfig ocsp_;
  test::RedisServer redis_;
  test::TestPki pki_;
  test::TestPki foreign_{ForeignOptions()};
  std::unique_ptr<store::StoreWriter> store_;
  std::vector<pki::CaMaterial> publisher_cas_;
  std::unique_ptr<status::StatusPublisher> publisher_;
  std::unique_ptr<Responder> responder_;
  int port_ = 0;
};

TEST_F(ResponderE2eTest, GoodRevokedForeign) {
  test::TestPki::Leaf good = Issue("good");
  test::TestPki::Leaf revoked = Issue("revoked");
  Revoke(revoked.record);
  StartResponder();
  EXPECT_EQ(Metric("keyward_cache_entries"), 4u);  // two certificates, SHA-1 and SHA-256

  testing::OcspResult g = Query(good);
  EXPECT_TRUE(g.signature_ok);
  EXPECT_EQ(g.cert_status, V_OCSP_CERTSTATUS_GOOD);
  EXPECT_EQ(Query(good, EVP_sha256()).cert_status, V_OCSP_CERTSTATUS_GOOD);
  testing::OcspResult r = Query(revoked);
  EXPECT_TRUE(r.signature_ok);
  EXPECT_EQ(r.cert_status, V_OCSP_CERTSTATUS_REVOKED);
  EXPECT_EQ(r.reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);

  Result<test::TestPki::Leaf> fleaf = foreign_.IssueLeaf("fleaf");
  ASSERT_TRUE(fleaf);
  std::optional<testing::HttpReply> f =
      Exchange(port_, Post("/", OcspRequest(foreign_.ca().cert.get(), fleaf->cert.get())));
  ASSERT_TRUE(f);
  EXPECT_EQ(ParseOcsp(f->body).response_status, OCSP_RESPONSE_STATUS_UNAUTHORIZED);
  EXPECT_GE(Metric("keyward_cache_hits_total"), 3u);
}

TEST_F(ResponderE2eTest, RevokeWhileRunningTakesEffect) {
  test::TestPki::Leaf leaf = Issue("leaf");
  StartResponder();
  ASSERT_EQ(Query(leaf).cert_status, V_OCSP_CERTSTATUS_GOOD);
  Revoke(leaf.record);
  // The contract is one second; wait up to five so a loaded machine does not
  // flake, and report how long it took.
  auto start = Clock::now();
  int status = -1;
  while (Clock::now() - start < std::chrono::seconds(5)) {
    status = Query(leaf).cert_status;
    if (status == V_OCSP_CERTSTATUS_REVOKED) break;
  }
  EXPECT_EQ(status, V_OCSP_CERTSTATUS_REVOKED);
  std::cout << "revoked after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count()
            << " ms\n";
  // Once revoked, never good again, in either hash form.
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(Query(leaf).cert_status, V_OCSP_CERTSTATUS_REVOKED);
    ASSERT_EQ(Query(leaf, EVP_sha256()).cert_status, V_OCSP_CERTSTATUS_REVOKED);
  }
}

TEST_F(ResponderE2eTest, IssuedAfterStartIsGoodAtOnce) {
  StartResponder();
  test::TestPki::Leaf leaf = Issue("late");
  // Either the invalidation refetch or the miss path answers; never unknown
  // for long. Poll briefly for the pub/sub message to land.
  auto start = Clock::now();
  int status = -1;
  while (Clock::now() - start < std::chrono::seconds(5)) {
    status = Query(leaf).cert_status;
    if (status == V_OCSP_CERTSTATUS_GOOD) break;
  }
  EXPECT_EQ(status, V_OCSP_CERTSTATUS_GOOD);
}

TEST_F(ResponderE2eTest, RevokedDuringRedisOutageIsNeverGoodAfterReconnect) {
  test::TestPki::Leaf leaf = Issue("leaf");
  StartResponder();
  ASSERT_EQ(Query(leaf).cert_status, V_OCSP_CERTSTATUS_GOOD);

  redis_.Stop();
  // While Redis is down the cached, signed answer is still served.
  EXPECT_EQ(Query(leaf).cert_status, V_OCSP_CERTSTATUS_GOOD);
  std::optional<testing::HttpReply> h = Exchange(port_, testing::Get("/healthz"));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 503);
  // Long enough for the reconnect backoff to grow, so the revocation below
  // is likely published before the responder is back (its pub/sub message
  // then is missed and only the change log tells).
  std::this_thread::sleep_for(std::chrono::seconds(3));
  ASSERT_TRUE(redis_.Start());
  Result<std::unique_ptr<store::StoreWriter>> store = store::ConnectRedis(redis_.store_config());
  ASSERT_TRUE(store) << store.error();
  store_ = std::move(*store);
  publisher_ = std::make_unique<status::StatusPublisher>(*store_, publisher_cas_, ocsp_);
  Revoke(leaf.record);

  // From the moment the responder is healthy again, never "good".
  ASSERT_TRUE(WaitHealthy());
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(Query(leaf).cert_status, V_OCSP_CERTSTATUS_REVOKED) << i;
    ASSERT_EQ(Query(leaf, EVP_sha256()).cert_status, V_OCSP_CERTSTATUS_REVOKED) << i;
  }
  EXPECT_GE(Metric("keyward_resyncs_total"), 1u);
}

TEST_F(ResponderE2eTest, RedisRestartedEmptyReloadsEverything) {
  test::TestPki::Leaf leaf = Issue("leaf");
  StartResponder();
  ASSERT_EQ(Query(leaf).cert_status, V_OCSP_CERTSTATUS_GOOD);
  ASSERT_TRUE(redis_.Restart(test::RedisServer::Data::kDrop));
  ASSERT_TRUE(WaitHealthy());
  // Generation went back to zero: the change log cannot vouch for the cache,
  // so it was reloaded from an empty store.
  EXPECT_GE(Metric("keyward_full_reloads_total"), 1u);
  EXPECT_EQ(Metric("keyward_cache_entries"), 0u);
}

TEST_F(ResponderE2eTest, LiveSigningNonceMultiAndSha384) {
  test::TestPki::Leaf a = Issue("a");
  test::TestPki::Leaf b = Issue("b");
  Revoke(b.record);
  StartResponder();
  // FreeRADIUS sends a nonce by default; it must come back.
  testing::OcspResult n = Query(a, EVP_sha1(), true);
  EXPECT_TRUE(n.signature_ok);
  EXPECT_TRUE(n.nonce_ok);
  EXPECT_EQ(n.cert_status, V_OCSP_CERTSTATUS_GOOD);
  EXPECT_EQ(Query(b, EVP_sha1(), true).cert_status, V_OCSP_CERTSTATUS_REVOKED);
  // SHA-384 CertIDs have no precomputed variant.
  EXPECT_EQ(Query(a, EVP_sha384()).cert_status, V_OCSP_CERTSTATUS_GOOD);

  // Several CertIDs: one response, one SingleResponse each.
  openssl::OcspRequestPtr req(OCSP_REQUEST_new());
  ASSERT_TRUE(OCSP_request_add0_id(
      req.get(), OCSP_cert_to_id(EVP_sha1(), a.cert.get(), pki_.ca().cert.get())));
  ASSERT_TRUE(OCSP_request_add0_id(
      req.get(), OCSP_cert_to_id(EVP_sha1(), b.cert.get(), pki_.ca().cert.get())));
  unsigned char* der = nullptr;
  int len = i2d_OCSP_REQUEST(req.get(), &der);
  std::string body(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  std::optional<testing::HttpReply> r = Exchange(port_, Post("/", body));
  ASSERT_TRUE(r);
  testing::OcspResult ra = ParseOcsp(r->body, pki_.ca().cert.get(), a.cert.get());
  testing::OcspResult rb = ParseOcsp(r->body, pki_.ca().cert.get(), b.cert.get());
  EXPECT_EQ(ra.single_count, 2);
  EXPECT_EQ(ra.cert_status, V_OCSP_CERTSTATUS_GOOD);
  EXPECT_EQ(rb.cert_status, V_OCSP_CERTSTATUS_REVOKED);
  EXPECT_GE(Metric("keyward_live_signatures_total"), 4u);
}

TEST_F(ResponderE2eTest, UnknownSerialNegativeCacheDroppedWhenIssued) {
  StartResponder();
  test::TestPki::Leaf leaf = Issue("unpublished", /*publish=*/false);
  testing::OcspResult u = Query(leaf);
  EXPECT_TRUE(u.signature_ok);
  EXPECT_EQ(u.cert_status, V_OCSP_CERTSTATUS_UNKNOWN);
  uint64_t signed_before = Metric("keyward_live_signatures_total");
  EXPECT_EQ(Query(leaf).cert_status, V_OCSP_CERTSTATUS_UNKNOWN);
  EXPECT_EQ(Metric("keyward_live_signatures_total"), signed_before);  // from the negative cache
  EXPECT_GE(Metric("keyward_negative_cache_hits_total"), 1u);
  // Now the serial is issued: the invalidation drops the negative entry.
  Publish(leaf.record);
  auto start = Clock::now();
  int status = -1;
  while (Clock::now() - start < std::chrono::seconds(5)) {
    status = Query(leaf).cert_status;
    if (status == V_OCSP_CERTSTATUS_GOOD) break;
  }
  EXPECT_EQ(status, V_OCSP_CERTSTATUS_GOOD);
}

}  // namespace
}  // namespace keyward::responder
