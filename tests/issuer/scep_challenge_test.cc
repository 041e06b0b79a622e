// Challenge modes (one-time, webhook, manual + CertPoll), the store being
// away, GetCert and GetCRL, and hostile input to PKIOperation.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "shared/http/server.h"
#include "shared/status/status_publisher.h"
#include "tests/issuer/scep_fixture.h"

namespace keyward::test {
namespace {

class ScepChallengeTest : public ScepFixture {
 protected:
  std::string MintChallenge(int64_t ttl_s = 3600) {
    store::ChallengeStore challenges(cfg_.store);
    Result<std::string> c = challenges.CreateChallenge(ca_name(), ttl_s);
    EXPECT_TRUE(c) << c.error();
    return c ? *c : "";
  }
  Client ClientWith(const std::string& challenge) {
    sc::CsrSpec csr;
    csr.challenge = challenge;
    return NewClient(csr);
  }
};

TEST_F(ScepChallengeTest, OneTimeChallengeWorksOnceAndIsStoredHashed) {
  cfg_.issuer.challenge_mode = "otp";
  Start();
  std::string otp = MintChallenge();
  EXPECT_TRUE(redis_.KeysWithValueContaining(otp).empty());
  EXPECT_EQ(redis_.AllKeys("kw:scep:otp:*").size(), 1u);
  Client first = ClientWith(otp);
  EXPECT_EQ(Enroll(first).pki_status, "0");
  Client again = ClientWith(otp);
  sc::MessageSpec spec;
  spec.transaction_id = "reuse";
  sc::Reply reused = Enroll(again, spec);
  EXPECT_EQ(reused.pki_status, "2");
  EXPECT_NE(reused.fail_text.find("already used"), std::string::npos) << reused.fail_text;
  EXPECT_EQ(RecordCount(), 1u);
}

TEST_F(ScepChallengeTest, ResentRequestGetsTheSameCertificate) {
  cfg_.issuer.challenge_mode = "otp";
  Start();
  Client c = ClientWith(MintChallenge());
  sc::Reply first = Enroll(c);
  ASSERT_EQ(first.pki_status, "0") << first.fail_text;
  // The answer was lost; the client resends the same transaction (its
  // challenge is spent by now).
  sc::MessageSpec spec;
  spec.sender_nonce = "another-nonce-16";
  sc::Reply again = Enroll(c, spec);
  ASSERT_EQ(again.pki_status, "0") << again.fail_text;
  EXPECT_EQ(again.recipient_nonce, spec.sender_nonce);
  EXPECT_EQ(X509_cmp(again.certs[0].get(), first.certs[0].get()), 0);
  EXPECT_EQ(RecordCount(), 1u);
  // The same transactionID with another key is not a resend.
  Client other = ClientWith("not-a-valid-otp");
  EXPECT_EQ(Enroll(other).pki_status, "2");
}

TEST_F(ScepChallengeTest, ExpiredOneTimeChallengeIsRefused) {
  cfg_.issuer.challenge_mode = "otp";
  Start();
  std::string otp = MintChallenge();
  std::string key = "kw:scep:otp:" + store::HashChallenge(otp);
  ASSERT_TRUE(redis_.Command({"PEXPIRE", key, "1"}));
  // Expiry is Redis' own clock: wait (bounded) until the key is gone.
  for (int i = 0; i < 200 && !redis_.AllKeys(key).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  Client c = ClientWith(otp);
  EXPECT_EQ(Enroll(c).pki_status, "2");
  EXPECT_EQ(RecordCount(), 0u);
}

TEST_F(ScepChallengeTest, StaticChallengeDoesNotAcceptAnOtp) {
  Start();
  Client c = ClientWith(MintChallenge());
  EXPECT_EQ(Enroll(c).pki_status, "2");
}

TEST_F(ScepChallengeTest, ManualApprovalPendsThenIssuesOnCertPoll) {
  cfg_.issuer.challenge_mode = "manual";
  Start();
  Client c = NewClient();
  sc::MessageSpec spec;
  spec.transaction_id = "manual-1";
  sc::Reply pending = Enroll(c, spec);
  ASSERT_EQ(pending.pki_status, "3");
  EXPECT_EQ(RecordCount(), 0u);

  std::string poll_body = sc::IssuerAndSubject(X509_get_subject_name(ca_cert()),
                                               X509_REQ_get_subject_name(c.csr.get()));
  sc::MessageSpec poll = spec;
  poll.type = "20";
  poll.sender_nonce = "fedcba9876543210";
  auto do_poll = [&] {
    http::Response r = Post(sc::Request(poll_body, ra(), c.signer.get(), c.key.get(), poll));
    return sc::OpenReply(r.body, ra(), c.signer.get(), c.key.get());
  };
  EXPECT_EQ(do_poll().pki_status, "3");

  store::ChallengeStore challenges(cfg_.store);
  Result<std::vector<store::PendingRequest>> list = challenges.ListPending();
  ASSERT_TRUE(list) << list.error();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, store::PendingId("manual-1"));
  Result<bool> ok = challenges.Transition((*list)[0].id, store::PendingState::kPending,
                                          store::PendingState::kApproved, "test");
  ASSERT_TRUE(ok && *ok);

  sc::Reply issued = do_poll();
  ASSERT_EQ(issued.pki_status, "0") << issued.fail_text;
  ASSERT_EQ(issued.certs.size(), 1u);
  EXPECT_EQ(issued.recipient_nonce, poll.sender_nonce);
  EXPECT_EQ(RecordStatus(issued.certs[0].get()), "good");
  // Polling again returns the same certificate, not a second one.
  sc::Reply again = do_poll();
  ASSERT_EQ(again.certs.size(), 1u);
  EXPECT_EQ(X509_cmp(again.certs[0].get(), issued.certs[0].get()), 0);
  EXPECT_EQ(RecordCount(), 1u);
}

TEST_F(ScepChallengeTest, RejectedRequestFails) {
  cfg_.issuer.challenge_mode = "manual";
  Start();
  Client c = NewClient();
  ASSERT_EQ(Enroll(c).pki_status, "3");
  store::ChallengeStore challenges(cfg_.store);
  Result<bool> ok =
      challenges.Transition(store::PendingId("tid-0001"), store::PendingState::kPending,
                            store::PendingState::kRejected, "unknown device");
  ASSERT_TRUE(ok && *ok);
  sc::Reply resent = Enroll(c);  // a resent PKCSReq with the same transactionID
  EXPECT_EQ(resent.pki_status, "2");
  EXPECT_NE(resent.fail_text.find("unknown device"), std::string::npos);
}

TEST_F(ScepChallengeTest, WebhookDecides) {
  std::atomic<int> calls{0};
  uv_loop_t loop;
  ASSERT_EQ(uv_loop_init(&loop), 0);
  http::Server hook(&loop, http::ServerOptions{}, [&](const http::Request& r) {
    ++calls;
    bool allow = r.body.find("\"challenge\":\"good-one\"") != std::string::npos &&
                 r.body.find("BEGIN CERTIFICATE REQUEST") != std::string::npos;
    http::Response resp =
        http::Response::Text(allow ? 200 : 403, allow ? "{\"device_id\":\"D-7\"}" : "no");
    resp.content_type = "application/json";
    return resp;
  });
  Result<int> port = hook.Listen("127.0.0.1", 0);
  ASSERT_TRUE(port) << port.error();
  std::thread loop_thread([&] { uv_run(&loop, UV_RUN_DEFAULT); });
  cfg_.issuer.challenge_mode = "webhook";
  cfg_.issuer.webhook_url = "http://127.0.0.1:" + std::to_string(*port) + "/approve";
  cfg_.issuer.uri_sans = {"urn:device:{device_id}"};
  Start();
  Client good = ClientWith("good-one");
  sc::Reply ok = Enroll(good);
  Client bad = ClientWith("bad-one");
  sc::MessageSpec spec;
  spec.transaction_id = "hook-2";
  sc::Reply refused = Enroll(bad, spec);
  hook.Shutdown();
  loop_thread.join();
  uv_loop_close(&loop);
  ASSERT_EQ(ok.pki_status, "0") << ok.fail_text;
  EXPECT_EQ(refused.pki_status, "2");
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(pki::DeviceIdOf(ok.certs[0].get(), "san-uri:urn:device:"), "D-7");
}

TEST_F(ScepChallengeTest, StoreAwayRefusesWithReasonAndIssuesNothing) {
  Start();
  redis_.Stop();
  Client c = NewClient();
  sc::Reply reply = Enroll(c);
  EXPECT_EQ(reply.pki_status, "2");
  EXPECT_NE(reply.fail_text.find("store unavailable"), std::string::npos) << reply.fail_text;
  EXPECT_EQ(Get("operation=GetCACaps").status, 200);
  ASSERT_TRUE(redis_.Start());
  EXPECT_EQ(RecordCount(), 0u);
  sc::MessageSpec spec;
  spec.transaction_id = "after-restart";
  EXPECT_EQ(Enroll(c, spec).pki_status, "0");  // back once Redis is
}

TEST_F(ScepChallengeTest, GetCertAndGetCrl) {
  Start();
  Client c = NewClient();
  sc::Reply enrolled = Enroll(c);
  ASSERT_EQ(enrolled.pki_status, "0");
  X509* cert = enrolled.certs[0].get();
  sc::MessageSpec spec;
  spec.type = "21";
  spec.transaction_id = "getcert";
  std::string body =
      sc::IssuerAndSerial(X509_get_issuer_name(cert), 0, X509_get0_serialNumber(cert));
  http::Response r = Post(sc::Request(body, ra(), cert, c.key.get(), spec));
  sc::Reply got = sc::OpenReply(r.body, ra(), cert, c.key.get());
  ASSERT_EQ(got.pki_status, "0") << got.fail_text;
  ASSERT_EQ(got.certs.size(), 1u);
  EXPECT_EQ(X509_cmp(got.certs[0].get(), cert), 0);

  // Revoke through the store as `keyward revoke` does, then GetCRL.
  Result<std::unique_ptr<store::StoreWriter>> st = store::ConnectRedis(cfg_.store);
  ASSERT_TRUE(st);
  Result<std::vector<store::CertRecord>> recs = (*st)->ListRecords(ca_name());
  ASSERT_TRUE(recs && recs->size() == 1u);
  store::CertRecord rec = (*recs)[0];
  rec.status = ocsp::CertStatus::kRevoked;
  rec.revoked_at = std::time(nullptr);
  rec.reason = ocsp::RevocationReason::kKeyCompromise;
  status::StatusPublisher publisher(**st, cas_, cfg_.ocsp);
  ASSERT_TRUE(publisher.Publish(rec, std::time(nullptr)));
  spec.type = "22";
  spec.transaction_id = "getcrl";
  r = Post(sc::Request(body, ra(), cert, c.key.get(), spec));
  sc::Reply crl_reply = sc::OpenReply(r.body, ra(), cert, c.key.get());
  ASSERT_EQ(crl_reply.pki_status, "0") << crl_reply.fail_text;
  ASSERT_EQ(crl_reply.crls_der.size(), 1u);
  const unsigned char* p = reinterpret_cast<const unsigned char*>(crl_reply.crls_der[0].data());
  X509_CRL* crl = d2i_X509_CRL(nullptr, &p, static_cast<long>(crl_reply.crls_der[0].size()));
  ASSERT_NE(crl, nullptr);
  EXPECT_EQ(X509_CRL_verify(crl, X509_get0_pubkey(ca_cert())), 1);
  X509_REVOKED* entry = nullptr;
  EXPECT_EQ(X509_CRL_get0_by_serial(crl, &entry, X509_get0_serialNumber(cert)), 1);
  X509_CRL_free(crl);
}

TEST_F(ScepChallengeTest, HostileInputGets4xxOrFailureNever5xx) {
  Start();
  Client c = NewClient();
  std::string good = sc::Request(sc::CsrDer(c.csr.get()), ra(), c.signer.get(), c.key.get(), {});
  std::vector<std::pair<std::string, std::string>> bodies = {
      {"empty", ""},
      {"garbage", "this is not CMS at all"},
      {"der_sequence_only", std::string("\x30\x03\x02\x01\x01", 5)},
      {"truncated_half", good.substr(0, good.size() / 2)},
      {"truncated_last_byte", good.substr(0, good.size() - 1)},
      {"trailing_byte", good + "x"},
  };
  std::string flipped = good;
  flipped[flipped.size() - 40] ^= 0x55;  // inside the signature
  bodies.emplace_back("bad_signature", flipped);
  for (const auto& [name, body] : bodies) {
    http::Response r = Post(body);
    EXPECT_LT(r.status, 500) << name;
    EXPECT_TRUE(r.status == 200 || (r.status >= 400 && r.status < 500)) << name << " " << r.status;
    if (r.status == 200) {
      EXPECT_EQ(sc::OpenReply(r.body, ra(), c.signer.get(), c.key.get()).pki_status, "2") << name;
    }
  }
  for (const char* q : {"operation=PKIOperation", "operation=PKIOperation&message=%%%",
                        "operation=PKIOperation&message=AAAA!!!!", "operation=Nope", ""}) {
    http::Response r = Get(q);
    EXPECT_GE(r.status, 400) << q;
    EXPECT_LT(r.status, 500) << q;
  }
  EXPECT_EQ(RecordCount(), 0u);
}

}  // namespace
}  // namespace keyward::test
