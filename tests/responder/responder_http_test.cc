// The HTTP layer of a real responder on a loopback port, driven over real
// sockets: routes, pipelining, HTTP/1.0 without Host, limits, timeouts, the
// connection cap, and no heap allocation on the hit path. Redis is not
// reachable here (the cache is filled directly), which is also the "Redis
// down, keep answering from the cache" mode.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "responder/responder.h"
#include "shared/ocsp/response_signer.h"
#include "shared/pki/ca_material.h"
#include "tests/responder/test_client.h"
#include "tests/support/test_pki.h"

namespace keyward::responder {
namespace {

test::TestPki::Options ForeignOptions() {
  test::TestPki::Options o;
  o.name = "foreign";
  return o;
}

using testing::Client;
using testing::Exchange;
using testing::Get;
using testing::OcspRequest;
using testing::ParseOcsp;
using testing::Post;

// A loopback port with nothing listening: Redis is "down".
int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

class ResponderHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pki_.Create());
    Result<test::TestPki::Leaf> leaf = pki_.IssueLeaf("leaf");
    ASSERT_TRUE(leaf) << leaf.error();
    leaf_ = std::move(*leaf);
    ASSERT_TRUE(foreign_.Create());
    Result<test::TestPki::Leaf> fleaf = foreign_.IssueLeaf("fleaf");
    ASSERT_TRUE(fleaf) << fleaf.error();
    foreign_leaf_ = std::move(*fleaf);
  }

  void StartResponder(config::ResponderConfig rc = {}) {
    config::Config cfg;
    cfg.store.endpoint.port = ClosedPort();
    rc.listen = {"127.0.0.1:0"};
    if (rc.workers == 0) rc.workers = 2;
    cfg.responder = rc;
    std::vector<pki::CaMaterial> cas;
    Result<pki::CaMaterial> ca = pki::LoadCa(pki_.config(), pki::KeyUse::kOcspOnly);
    ASSERT_TRUE(ca) << ca.error();
    cas.push_back(std::move(*ca));
    ResponderOptions options;
    options.live_signing = false;
    responder_ = std::make_unique<Responder>(cfg, std::move(cas), options);
    Result<void> started = responder_->Start();
    ASSERT_TRUE(started) << started.error();
    port_ = responder_->ports()[0];
    // Precompute the leaf's answers as the publisher would, straight into the cache.
    ocsp::ResponseSigner signer(responder_->context().cas[0]);
    for (ocsp::HashAlg alg : {ocsp::HashAlg::kSha1, ocsp::HashAlg::kSha256}) {
      ocsp::Validity v{std::time(nullptr), 3600, 60};
      Result<store::StoredResponse> r = signer.SignPrecomputed(leaf_.record, alg, v);
      ASSERT_TRUE(r) << r.error();
      CacheKey key;
      ASSERT_TRUE(MakeKeyFromHex(0, alg, leaf_.record.serial_hex, &key));
      Context& ctx = responder_->context();
      ASSERT_TRUE(ctx.cache.Insert(
          CacheEntry::Create(key, *r, EntryKind::kPrecomputed, r->next_update), ctx.cache.Epoch()));
    }
  }

  void TearDown() override {
    if (responder_) responder_->Stop();
  }

  std::string GoodRequest(const EVP_MD* md = EVP_sha1()) {
    return OcspRequest(pki_.ca().cert.get(), leaf_.cert.get(), md);
  }
  void ExpectGood(const testing::HttpReply& r, const EVP_MD* md = EVP_sha1()) {
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.Header("content-type"), "application/ocsp-response");
    testing::OcspResult o = ParseOcsp(r.body, pki_.ca().cert.get(), leaf_.cert.get(), {}, md);
    EXPECT_EQ(o.response_status, OCSP_RESPONSE_STATUS_SUCCESSFUL);
    EXPECT_TRUE(o.signature_ok);
    EXPECT_EQ(o.cert_status, V_OCSP_CERTSTATUS_GOOD);
  }

  test::TestPki pki_;
  test::TestPki foreign_{ForeignOptions()};
  test::TestPki::Leaf leaf_;
  test::TestPki::Leaf foreign_leaf_;
  std::unique_ptr<Responder> responder_;
  int port_ = 0;
};

TEST_F(ResponderHttpTest, PostGoodAtRootAndBelow) {
  StartResponder();
  for (const char* path : {"/", "/ocsp", "/ocsp/demo/"}) {
    std::optional<testing::HttpReply> r = Exchange(port_, Post(path, GoodRequest()));
    ASSERT_TRUE(r) << path;
    ExpectGood(*r);
    EXPECT_TRUE(r->Header("cache-control").empty()) << "POST answers carry no cache headers";
    EXPECT_FALSE(r->Header("date").empty());
  }
  std::optional<testing::HttpReply> r = Exchange(port_, Post("/", GoodRequest(EVP_sha256())));
  ASSERT_TRUE(r);
  ExpectGood(*r, EVP_sha256());
}

TEST_F(ResponderHttpTest, GetCarriesRfc5019Headers) {
  StartResponder();
  std::optional<testing::HttpReply> r =
      Exchange(port_, Get("/" + testing::Base64Url(GoodRequest())));
  ASSERT_TRUE(r);
  ExpectGood(*r);
  std::string cc = r->Header("cache-control");
  EXPECT_NE(cc.find("max-age="), std::string::npos) << cc;
  EXPECT_NE(cc.find("public, no-transform, must-revalidate"), std::string::npos) << cc;
  EXPECT_FALSE(r->Header("last-modified").empty());
  EXPECT_FALSE(r->Header("expires").empty());
  EXPECT_EQ(r->Header("etag").size(), 18u);
  // Below a path prefix too.
  r = Exchange(port_, Get("/ocsp/" + testing::Base64Url(GoodRequest())));
  ASSERT_TRUE(r);
  ExpectGood(*r);
}

TEST_F(ResponderHttpTest, OcspErrorsAreOcspAnswers) {
  StartResponder();
  struct Case {
    const char* name;
    std::string request;
    int ocsp_status;
  };
  const Case cases[] = {
      {"garbage_body", Post("/", "not DER"), OCSP_RESPONSE_STATUS_MALFORMEDREQUEST},
      {"empty_body", Post("/", ""), OCSP_RESPONSE_STATUS_MALFORMEDREQUEST},
      {"bad_get", Get("/%%%"), OCSP_RESPONSE_STATUS_MALFORMEDREQUEST},
      {"foreign_issuer", Post("/", OcspRequest(foreign_.ca().cert.get(), foreign_leaf_.cert.get())),
       OCSP_RESPONSE_STATUS_UNAUTHORIZED},
      // Live signing is off in this fixture: an honest tryLater.
      {"nonce_without_signer",
       Post("/", OcspRequest(pki_.ca().cert.get(), leaf_.cert.get(), EVP_sha1(), true)),
       OCSP_RESPONSE_STATUS_TRYLATER},
  };
  for (const Case& c : cases) {
    std::optional<testing::HttpReply> r = Exchange(port_, c.request);
    ASSERT_TRUE(r) << c.name;
    EXPECT_EQ(r->status, 200) << c.name;
    EXPECT_EQ(r->Header("content-type"), "application/ocsp-response") << c.name;
    EXPECT_EQ(ParseOcsp(r->body).response_status, c.ocsp_status) << c.name;
  }
}

TEST_F(ResponderHttpTest, PipelinedRequestsAnswerInOrder) {
  StartResponder();
  Client c(port_);
  ASSERT_TRUE(c.ok());
  std::string wire = Post("/", GoodRequest()) + Get("/healthz") + Post("/", "junk") +
                     Post("/", GoodRequest(EVP_sha256())) + Get("/metrics");
  ASSERT_TRUE(c.Send(wire));
  std::optional<testing::HttpReply> a = c.ReadReply();
  std::optional<testing::HttpReply> b = c.ReadReply();
  std::optional<testing::HttpReply> d = c.ReadReply();
  std::optional<testing::HttpReply> e = c.ReadReply();
  std::optional<testing::HttpReply> f = c.ReadReply();
  ASSERT_TRUE(a && b && d && e && f);
  ExpectGood(*a);
  EXPECT_EQ(b->status, 503);  // no Redis here
  EXPECT_NE(b->body.find("redis"), std::string::npos);
  EXPECT_EQ(ParseOcsp(d->body).response_status, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  ExpectGood(*e, EVP_sha256());
  EXPECT_EQ(f->status, 200);
  EXPECT_NE(f->body.find("keyward_ocsp_requests_total{result=\"good\"}"), std::string::npos);
  EXPECT_NE(f->body.find("keyward_cache_trusted 0"), std::string::npos);
  // The connection stays open for more.
  ASSERT_TRUE(c.Send(Post("/", GoodRequest())));
  std::optional<testing::HttpReply> g = c.ReadReply();
  ASSERT_TRUE(g);
  ExpectGood(*g);
}

TEST_F(ResponderHttpTest, ManyPipelinedRequestsInSmallPieces) {
  StartResponder();
  Client c(port_);
  std::string wire;
  constexpr int kN = 200;
  for (int i = 0; i < kN; ++i) wire += Post("/", GoodRequest());
  // Written in odd-sized pieces so requests straddle reads.
  for (size_t off = 0; off < wire.size(); off += 777) ASSERT_TRUE(c.Send(wire.substr(off, 777)));
  for (int i = 0; i < kN; ++i) {
    std::optional<testing::HttpReply> r = c.ReadReply();
    ASSERT_TRUE(r) << i;
    ASSERT_EQ(r->status, 200) << i;
  }
}

TEST_F(ResponderHttpTest, Http10WithoutHost) {
  // ISE and ClearPass send HTTP/1.0 with no Host header.
  StartResponder();
  Client c(port_);
  ASSERT_TRUE(c.Send(Post("/", GoodRequest(), "HTTP/1.0", "")));
  std::optional<testing::HttpReply> r = c.ReadReply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->version, "HTTP/1.0");
  ExpectGood(*r);
  EXPECT_TRUE(c.ClosedByPeer());
  // HTTP/1.0 keep-alive is kept when asked for.
  Client k(port_);
  ASSERT_TRUE(k.Send(Post("/", GoodRequest(), "HTTP/1.0", "Connection: keep-alive\r\n")));
  r = k.ReadReply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("connection"), "keep-alive");
  ASSERT_TRUE(k.Send(Post("/", GoodRequest(), "HTTP/1.0", "")));
  r = k.ReadReply();
  ASSERT_TRUE(r);
  ExpectGood(*r);
}

TEST_F(ResponderHttpTest, LimitsAnswerAndClose) {
  config::ResponderConfig rc;
  rc.max_url_bytes = 1024;
  rc.max_body_bytes = 512;
  rc.max_header_bytes = 1024;
  StartResponder(rc);
  struct Case {
    const char* name;
    std::string request;
    int status;
  };
  const Case cases[] = {
      {"url", Get("/" + std::string(2000, 'A')), 414},
      {"body", Post("/", std::string(600, 'b')), 413},
      {"headers", "GET / HTTP/1.1\r\nX-Big: " + std::string(2000, 'h') + "\r\n\r\n", 431},
      {"method", "PUT / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 405},
      {"not_http", "\x16\x03\x01 hello\r\n\r\n", 400},
  };
  for (const Case& k : cases) {
    Client c(port_);
    ASSERT_TRUE(c.Send(k.request)) << k.name;
    std::optional<testing::HttpReply> r = c.ReadReply();
    ASSERT_TRUE(r) << k.name;
    EXPECT_EQ(r->status, k.status) << k.name;
    if (k.status != 405) {
      EXPECT_EQ(r->Header("connection"), "close") << k.name;
      EXPECT_TRUE(c.ClosedByPeer()) << k.name;
    }
  }
}

TEST_F(ResponderHttpTest, SilentAndSlowClientsAreClosed) {
  config::ResponderConfig rc;
  rc.header_timeout_ms = 200;
  rc.idle_timeout_ms = 200;
  StartResponder(rc);
  Client silent(port_);
  Client slow(port_);
  ASSERT_TRUE(slow.Send("POST / HTTP/1.1\r\nContent-Len"));  // and never more
  // Meanwhile others are served.
  std::optional<testing::HttpReply> r = Exchange(port_, Post("/", GoodRequest()));
  ASSERT_TRUE(r);
  ExpectGood(*r);
  EXPECT_TRUE(silent.ClosedByPeer());
  EXPECT_TRUE(slow.ClosedByPeer());
  // An idle keep-alive connection is closed after idle_timeout.
  Client idle(port_);
  ASSERT_TRUE(idle.Send(Post("/", GoodRequest())));
  ASSERT_TRUE(idle.ReadReply());
  EXPECT_TRUE(idle.ClosedByPeer());
}

TEST_F(ResponderHttpTest, ConnectionCap) {
  config::ResponderConfig rc;
  rc.max_connections = 2;
  rc.workers = 1;
  StartResponder(rc);
  Client a(port_);
  Client b(port_);
  ASSERT_TRUE(a.Send(Post("/", GoodRequest())));
  ASSERT_TRUE(a.ReadReply());
  ASSERT_TRUE(b.Send(Post("/", GoodRequest())));
  ASSERT_TRUE(b.ReadReply());
  Client over(port_);
  EXPECT_TRUE(over.ClosedByPeer());
  // The two under the cap still work.
  ASSERT_TRUE(a.Send(Post("/", GoodRequest())));
  EXPECT_TRUE(a.ReadReply());
}

}  // namespace
}  // namespace keyward::responder
