// ResponseTemplate against the reference encoder: with an RSA signer (PKCS#1
// v1.5 signatures are deterministic) the template must give exactly the
// bytes OpenSSL's OCSP encoder gives, for every shape of answer; with an EC
// signer, OpenSSL must verify and read what it gives.
#include "shared/ocsp/response_template.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "shared/ocsp/openssl_response_builder.h"
#include "tests/shared/ocsp/response_checks.h"

namespace keyward::ocsp {
namespace {

using namespace check;  // NOLINT(google-build-using-namespace): test helpers

struct Case {
  const char* name;
  std::vector<SingleAnswer> answers;
  Bytes nonce;
  bool extended = false;
};

class ResponseTemplateTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pki_.Create());
    for (const char* stem : {"a", "b", "c"}) {
      Result<test::TestPki::Leaf> leaf = pki_.IssueLeaf(stem);
      ASSERT_TRUE(leaf) << leaf.error();
      leaves_.push_back(std::move(*leaf));
    }
    for (const test::TestPki::Leaf& leaf : leaves_) {
      ids_sha1_.push_back(Der(IdFor(ca(), leaf.cert.get(), EVP_sha1()).get()));
      ids_sha256_.push_back(Der(IdFor(ca(), leaf.cert.get(), EVP_sha256()).get()));
    }
  }
  X509* ca() { return pki_.ca().cert.get(); }

  std::vector<Case> Cases() const {
    const Bytes nonce16 = {0x04, 0x10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    const Bytes nonce1 = {0x04, 0x01, 0xAA};
    Bytes nonce_big = {0x04, 0x81, 0x90};  // a long-form length inside the extension
    nonce_big.resize(3 + 0x90, 0x5A);
    auto a = [](const Bytes& id, CertStatus s, RevocationReason r = RevocationReason::kNone,
                int64_t at = 0) {
      return SingleAnswer{id, s, r, at};
    };
    return {
        {"good", {a(ids_sha1_[0], CertStatus::kGood)}, {}, false},
        {"unknown", {a(ids_sha1_[0], CertStatus::kUnknown)}, {}, false},
        {"revoked-reason",
         {a(ids_sha1_[0], CertStatus::kRevoked, RevocationReason::kKeyCompromise, 1700000000)},
         {},
         false},
        {"revoked-no-reason",
         {a(ids_sha256_[1], CertStatus::kRevoked, RevocationReason::kNone, 5)},
         {},
         false},
        {"sha256-nonce", {a(ids_sha256_[0], CertStatus::kGood)}, nonce16, false},
        {"one-octet-nonce", {a(ids_sha1_[2], CertStatus::kGood)}, nonce1, false},
        {"long-nonce-value", {a(ids_sha1_[2], CertStatus::kGood)}, nonce_big, false},
        {"extended",
         {a(ids_sha1_[1], CertStatus::kRevoked, RevocationReason::kCertificateHold, 0)},
         {},
         true},
        {"three-mixed-nonce-extended",
         {a(ids_sha1_[0], CertStatus::kGood),
          a(ids_sha256_[1], CertStatus::kRevoked, RevocationReason::kSuperseded, 1600000000),
          a(ids_sha1_[2], CertStatus::kUnknown)},
         nonce16,
         true},
    };
  }

  test::TestPki pki_{test::TestPki::Options{.signer_key_type = GetParam()}};
  std::vector<test::TestPki::Leaf> leaves_;
  std::vector<Bytes> ids_sha1_, ids_sha256_;
};

TEST_P(ResponseTemplateTest, VerifiesAndStatesEachAnswer) {
  Result<std::unique_ptr<ResponseTemplate>> t = ResponseTemplate::Learn(pki_.ca());
  ASSERT_TRUE(t) << t.error();
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.name);
    Result<std::string> der = (*t)->Encode(c.answers, c.nonce, c.extended, kWindow);
    ASSERT_TRUE(der) << der.error();
    Parsed p = Parse(*der);
    ASSERT_TRUE(p.bs);
    EXPECT_TRUE(VerifiedByCa(p.bs.get(), ca()));
    ASSERT_EQ(OCSP_resp_count(p.bs.get()), static_cast<int>(c.answers.size()));
    for (size_t i = 0; i < c.answers.size(); ++i) {
      const OCSP_SINGLERESP* single = OCSP_resp_get0(p.bs.get(), static_cast<int>(i));
      int reason = -1;
      ASN1_GENERALIZEDTIME *revoked = nullptr, *this_upd = nullptr, *next_upd = nullptr;
      const int status = OCSP_single_get0_status(const_cast<OCSP_SINGLERESP*>(single), &reason,
                                                 &revoked, &this_upd, &next_upd);
      EXPECT_EQ(status, static_cast<int>(c.answers[i].status));
      EXPECT_EQ(ASN1_TIME_cmp_time_t(this_upd, kNow - kBackdate), 0);
      EXPECT_EQ(ASN1_TIME_cmp_time_t(next_upd, kNow + kValidity), 0);
      if (c.answers[i].status == CertStatus::kRevoked) {
        EXPECT_EQ(ASN1_TIME_cmp_time_t(revoked, c.answers[i].revoked_at), 0);
        const int want = c.answers[i].reason == RevocationReason::kNone
                             ? -1
                             : static_cast<int>(c.answers[i].reason);
        EXPECT_EQ(reason, want);
      }
    }
    const int nonce_at = OCSP_BASICRESP_get_ext_by_NID(p.bs.get(), NID_id_pkix_OCSP_Nonce, -1);
    if (c.nonce.empty()) {
      EXPECT_LT(nonce_at, 0);
    } else {
      ASSERT_GE(nonce_at, 0);
      EXPECT_EQ(ExtensionValue(OCSP_BASICRESP_get_ext(p.bs.get(), nonce_at)), c.nonce);
    }
    EXPECT_EQ(OCSP_BASICRESP_get_ext_by_OBJ(p.bs.get(), ExtendedRevokeOid(), -1) >= 0, c.extended);
  }
}

TEST_P(ResponseTemplateTest, SameBytesAsOpensslWithRsa) {
  if (std::string(GetParam()).rfind("rsa", 0) != 0) {
    GTEST_SKIP() << "ECDSA signatures are randomised; checked by verification instead";
  }
  Result<std::unique_ptr<ResponseTemplate>> t = ResponseTemplate::Learn(pki_.ca());
  ASSERT_TRUE(t) << t.error();
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.name);
    Result<std::string> ours = (*t)->Encode(c.answers, c.nonce, c.extended, kWindow);
    Result<std::string> reference =
        BuildWithOpenssl(pki_.ca(), c.answers, c.nonce, c.extended, kWindow);
    ASSERT_TRUE(ours) << ours.error();
    ASSERT_TRUE(reference) << reference.error();
    EXPECT_EQ(*ours, *reference);
  }
}

TEST_P(ResponseTemplateTest, ThreadsShareOneTemplate) {
  Result<std::unique_ptr<ResponseTemplate>> t = ResponseTemplate::Learn(pki_.ca());
  ASSERT_TRUE(t) << t.error();
  const ResponseTemplate& shared = **t;
  const SingleAnswer answer{ids_sha1_[0], CertStatus::kGood};
  std::vector<std::string> results(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      for (int n = 0; n < 20; ++n) {
        Result<std::string> der = shared.Encode(std::span(&answer, 1), {}, false, kWindow);
        if (der) results[i] = *der;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (const std::string& der : results) {
    Parsed p = Parse(der);
    ASSERT_TRUE(p.bs);
    EXPECT_TRUE(VerifiedByCa(p.bs.get(), ca()));
  }
}

INSTANTIATE_TEST_SUITE_P(SignerKeys, ResponseTemplateTest,
                         ::testing::Values("ec-p256", "ec-p384", "rsa-2048"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = info.param;
                           for (char& ch : name) {
                             if (ch == '-') ch = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace keyward::ocsp
