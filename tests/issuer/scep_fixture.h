#pragma once
// ScepFixture: a real redis-server, a test CA (ECDSA by default, with its RSA
// RA) and a ScepService over them, plus helpers that act as a SCEP client.
#include <gtest/gtest.h>

#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "issuer/backend_pool.h"
#include "issuer/scep_service.h"
#include "shared/config/config.h"
#include "shared/ocsp/cert_id.h"
#include "shared/pki/ca_material.h"
#include "shared/scep/caps.h"
#include "shared/scep/get_message.h"
#include "shared/store/challenge_store.h"
#include "shared/store/store.h"
#include "tests/shared/scep/request_builder.h"
#include "tests/support/redis_server.h"
#include "tests/support/test_pki.h"

namespace keyward::test {

namespace sc = scep_client;

class ScepFixture : public ::testing::Test {
 protected:
  explicit ScepFixture(TestPki::Options options = {}) : pki_(options) {}

  void SetUp() override {
    scep::LoadLegacyProvider();
    ASSERT_TRUE(redis_.Start());
    ASSERT_TRUE(pki_.Create());
    cfg_.store = redis_.store_config();
    cfg_.cas = {pki_.config()};
    cfg_.issuer.ca = pki_.config().name;
    cfg_.issuer.challenge = "static-secret";
    Result<pki::CaMaterial> ca = pki::LoadCa(pki_.config(), pki::KeyUse::kIssuing);
    ASSERT_TRUE(ca) << ca.error();
    cas_.push_back(std::move(*ca));
  }

  // Start builds the service from cfg_ (call after adjusting cfg_).
  void Start() {
    backends_ = std::make_unique<issuer::BackendPool>(cfg_.store);
    Result<std::unique_ptr<issuer::ScepService>> s = issuer::ScepService::Create(
        cfg_, cas_, *backends_, [] { return static_cast<int64_t>(std::time(nullptr)); });
    ASSERT_TRUE(s) << s.error();
    service_ = std::move(*s);
  }

  X509* ra() { return cas_[0].ra_cert.get(); }
  X509* ca_cert() { return cas_[0].cert.get(); }
  const std::string& ca_name() { return cas_[0].name; }

  http::Response Get(const std::string& query) {
    http::Request r;
    r.method = "GET";
    r.path = "/scep/pkiclient.exe";
    r.query = query;
    r.remote = "127.0.0.1:4000";
    return service_->Handle(r);
  }
  http::Response Post(const std::string& body) {
    http::Request r;
    r.method = "POST";
    r.path = "/cgi-bin/pkiclient.exe";
    r.query = "operation=PKIOperation";
    r.body = body;
    r.remote = "127.0.0.1:4000";
    return service_->Handle(r);
  }

  // Client: a key, a self-signed signer and a CSR, as a device has them.
  struct Client {
    openssl::EvpPkeyPtr key;
    openssl::X509Ptr signer;
    openssl::X509ReqPtr csr;
  };
  Client NewClient(const sc::CsrSpec& csr = {},
                   sc::SignerStyle style = sc::SignerStyle::kSelfSignedSha256) {
    Client c;
    c.key = sc::RsaKey();
    c.signer = sc::SelfSigned(c.key.get(), style, csr.cn);
    c.csr = sc::MakeCsr(c.key.get(), csr);
    return c;
  }

  // Enroll: PKCSReq by POST, reply opened.
  sc::Reply Enroll(Client& c, const sc::MessageSpec& spec = {}) {
    std::string msg = sc::Request(sc::CsrDer(c.csr.get()), ra(), c.signer.get(), c.key.get(), spec);
    http::Response r = Post(msg);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.content_type, "application/x-pki-message");
    return sc::OpenReply(r.body, ra(), c.signer.get(), c.key.get());
  }

  // RecordStatus: the store's status for a certificate ("" when absent).
  std::string RecordStatus(X509* cert) {
    Result<std::unique_ptr<store::StoreWriter>> st = store::ConnectRedis(cfg_.store);
    if (!st) return "(no store)";
    const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
    openssl::BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
    char* hex = BN_bn2hex(bn.get());
    std::string s = ocsp::NormalizeSerialHex(hex).value_or(hex);
    OPENSSL_free(hex);
    Result<std::optional<store::CertRecord>> rec = (*st)->GetRecord(ca_name(), s);
    if (!rec || !*rec) return "";
    return std::string(ocsp::CertStatusName((*rec)->status));
  }

  size_t RecordCount() {
    Result<std::unique_ptr<store::StoreWriter>> st = store::ConnectRedis(cfg_.store);
    if (!st) return 0;
    Result<std::vector<store::CertRecord>> all = (*st)->ListRecords(ca_name());
    return all ? all->size() : 0;
  }

  bool VerifiesAgainstCa(X509* cert) { return X509_verify(cert, X509_get0_pubkey(ca_cert())) == 1; }

  RedisServer redis_;
  TestPki pki_;
  config::Config cfg_;
  std::vector<pki::CaMaterial> cas_;
  std::unique_ptr<issuer::BackendPool> backends_;
  std::unique_ptr<issuer::ScepService> service_;
};

}  // namespace keyward::test
