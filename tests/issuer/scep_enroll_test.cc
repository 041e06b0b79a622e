// PKCSReq and RenewalReq against a ScepService with a real Redis, with
// requests built independently in tests/shared/scep/request_builder.h.
#include <gtest/gtest.h>

#include "shared/http/url.h"
#include "tests/issuer/scep_fixture.h"

namespace keyward::test {
namespace {

class ScepEnrollTest : public ScepFixture {};

TEST_F(ScepEnrollTest, CapsOfferOnlyStrongAlgorithmsByDefault) {
  Start();
  http::Response r = Get("operation=GetCACaps");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain");
  for (const char* cap :
       {"POSTPKIOperation\n", "SHA-256\n", "SHA-512\n", "AES\n", "SCEPStandard\n", "Renewal\n"}) {
    EXPECT_NE(r.body.find(cap), std::string::npos) << cap;
  }
  EXPECT_EQ(r.body.find("SHA-1"), std::string::npos);
  EXPECT_EQ(r.body.find("DES3"), std::string::npos);
}

TEST_F(ScepEnrollTest, LegacyCapsAddSha1AndDes3) {
  cfg_.issuer.legacy_clients = true;
  Start();
  http::Response r = Get("operation=GetCACaps");
  EXPECT_NE(r.body.find("SHA-1\n"), std::string::npos);
  EXPECT_NE(r.body.find("DES3\n"), std::string::npos);
}

TEST_F(ScepEnrollTest, GetCACertIsRaChainWithExactContentType) {
  Start();
  http::Response r = Get("operation=GetCACert&message=0");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/x-x509-ca-ra-cert");
  const unsigned char* p = reinterpret_cast<const unsigned char*>(r.body.data());
  PKCS7* p7 = d2i_PKCS7(nullptr, &p, static_cast<long>(r.body.size()));
  ASSERT_NE(p7, nullptr);
  ASSERT_TRUE(PKCS7_type_is_signed(p7));
  ASSERT_EQ(sk_X509_num(p7->d.sign->cert), 2);
  EXPECT_EQ(X509_cmp(sk_X509_value(p7->d.sign->cert, 0), ra()), 0);
  EXPECT_EQ(X509_cmp(sk_X509_value(p7->d.sign->cert, 1), ca_cert()), 0);
  PKCS7_free(p7);
}

struct AlgCase {
  const char* name;
  const EVP_CIPHER* (*cipher)();
  const EVP_MD* (*digest)();
  int want_cipher;
  int want_digest;
};

class ScepAlgorithmTest : public ScepFixture, public ::testing::WithParamInterface<AlgCase> {};

TEST_P(ScepAlgorithmTest, AnswersWithTheClientsCipherAndDigest) {
  cfg_.issuer.legacy_clients = true;
  Start();
  Client c = NewClient();
  sc::MessageSpec spec;
  spec.cipher = GetParam().cipher();
  spec.digest = GetParam().digest();
  sc::Reply reply = Enroll(c, spec);
  EXPECT_TRUE(reply.signature_ok);
  ASSERT_EQ(reply.pki_status, "0") << reply.fail_text;
  EXPECT_EQ(reply.message_type, "3");
  EXPECT_EQ(reply.transaction_id, spec.transaction_id);
  EXPECT_EQ(reply.recipient_nonce, spec.sender_nonce);
  EXPECT_EQ(reply.cipher_nid, GetParam().want_cipher);
  EXPECT_EQ(reply.digest_nid, GetParam().want_digest);
  ASSERT_EQ(reply.certs.size(), 1u);
  EXPECT_TRUE(VerifiesAgainstCa(reply.certs[0].get()));
  EXPECT_EQ(RecordStatus(reply.certs[0].get()), "good");
}

INSTANTIATE_TEST_SUITE_P(
    Ciphers, ScepAlgorithmTest,
    ::testing::Values(
        AlgCase{"aes128_sha256", EVP_aes_128_cbc, EVP_sha256, NID_aes_128_cbc, NID_sha256},
        AlgCase{"aes256_sha256", EVP_aes_256_cbc, EVP_sha256, NID_aes_256_cbc, NID_sha256},
        AlgCase{"aes256_sha512", EVP_aes_256_cbc, EVP_sha512, NID_aes_256_cbc, NID_sha512},
        AlgCase{"des3_sha1_legacy", EVP_des_ede3_cbc, EVP_sha1, NID_des_ede3_cbc, NID_sha1},
        // Single DES is read but never answered with: 3DES instead.
        AlgCase{"des_sha1_answered_des3", EVP_des_cbc, EVP_sha1, NID_des_ede3_cbc, NID_sha1}),
    [](const ::testing::TestParamInfo<AlgCase>& info) { return std::string(info.param.name); });

TEST_F(ScepEnrollTest, WeakAlgorithmsRefusedWhenConfiguredSo) {
  cfg_.issuer.refuse_weak_algorithms = true;
  Start();
  Client c = NewClient();
  sc::MessageSpec spec;
  spec.cipher = EVP_des_ede3_cbc();
  spec.digest = EVP_sha1();
  sc::Reply reply = Enroll(c, spec);
  EXPECT_TRUE(reply.signature_ok);
  EXPECT_EQ(reply.pki_status, "2");
  EXPECT_EQ(reply.fail_info, "0");  // badAlg
  EXPECT_EQ(RecordCount(), 0u);
}

TEST_F(ScepEnrollTest, OaepEnvelope) {
  Start();
  Client c = NewClient();
  sc::MessageSpec spec;
  spec.transport = sc::KeyTransport::kOaep;
  sc::Reply reply = Enroll(c, spec);
  ASSERT_EQ(reply.pki_status, "0") << reply.fail_text;
  ASSERT_EQ(reply.certs.size(), 1u);
}

TEST_F(ScepEnrollTest, WindowsSelfSignedSha1SignerWithCriticalAkiAndPrintableChallenge) {
  Start();
  sc::CsrSpec csr;
  csr.cn = "WIN-DESKTOP-1";
  csr.challenge_type = sc::ChallengeType::kPrintable;
  Client c = NewClient(csr, sc::SignerStyle::kWindowsSha1CriticalAki);
  int crit = 0;
  void* aki = X509_get_ext_d2i(c.signer.get(), NID_authority_key_identifier, &crit, nullptr);
  AUTHORITY_KEYID_free(static_cast<AUTHORITY_KEYID*>(aki));
  ASSERT_EQ(crit, 1);
  sc::Reply reply = Enroll(c);
  ASSERT_EQ(reply.pki_status, "0") << reply.fail_text;
  ASSERT_EQ(reply.certs.size(), 1u);
}

TEST_F(ScepEnrollTest, WrongChallengeIsRefusedAndNothingIssued) {
  Start();
  sc::CsrSpec csr;
  csr.challenge = "static-secreT";
  Client c = NewClient(csr);
  sc::Reply reply = Enroll(c);
  EXPECT_TRUE(reply.signature_ok);
  EXPECT_EQ(reply.pki_status, "2");
  EXPECT_EQ(reply.fail_info, "2");  // badRequest
  EXPECT_TRUE(reply.certs.empty());
  EXPECT_EQ(RecordCount(), 0u);
}

TEST_F(ScepEnrollTest, MissingChallengeIsRefused) {
  Start();
  sc::CsrSpec csr;
  csr.challenge_type = sc::ChallengeType::kNone;
  Client c = NewClient(csr);
  EXPECT_EQ(Enroll(c).pki_status, "2");
  EXPECT_EQ(RecordCount(), 0u);
}

// macOS percent-encodes only '='; Cisco IOS breaks lines with %0A.
TEST_F(ScepEnrollTest, GetWithOnlyEqualsEncodedAndWithLineBreaks) {
  Start();
  for (int variant = 0; variant < 2; ++variant) {
    Client c = NewClient();
    sc::MessageSpec spec;
    spec.transaction_id = "get-" + std::to_string(variant);
    std::string b64 = scep::Base64Encode(
        sc::Request(sc::CsrDer(c.csr.get()), ra(), c.signer.get(), c.key.get(), spec));
    std::string q;
    for (size_t i = 0; i < b64.size(); ++i) {
      if (variant == 1 && i > 0 && i % 64 == 0) q += "%0A";
      q += b64[i] == '=' ? std::string("%3D") : std::string(1, b64[i]);
    }
    http::Response r = Get("operation=PKIOperation&message=" + q);
    ASSERT_EQ(r.status, 200) << r.body;
    sc::Reply reply = sc::OpenReply(r.body, ra(), c.signer.get(), c.key.get());
    EXPECT_EQ(reply.pki_status, "0") << "variant " << variant << ": " << reply.fail_text;
  }
}

TEST_F(ScepEnrollTest, GetUrlOver16KiB) {
  Start();
  sc::CsrSpec csr;
  for (int i = 0; i < 600; ++i)
    csr.dns_sans.push_back("host-" + std::to_string(i) + ".example.com");
  Client c = NewClient(csr);
  std::string b64 = scep::Base64Encode(
      sc::Request(sc::CsrDer(c.csr.get()), ra(), c.signer.get(), c.key.get(), {}));
  std::string query = "operation=PKIOperation&message=" + b64;
  ASSERT_GT(query.size(), 16u * 1024);
  http::Response r = Get(query);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(sc::OpenReply(r.body, ra(), c.signer.get(), c.key.get()).pki_status, "0");
}

TEST_F(ScepEnrollTest, RenewalReqSignedWithTheOldCertificate) {
  Start();
  Client c = NewClient();
  sc::Reply first = Enroll(c);
  ASSERT_EQ(first.pki_status, "0") << first.fail_text;
  // A new key and CSR, signed with the old key and certificate: no challenge.
  sc::CsrSpec csr;
  csr.challenge_type = sc::ChallengeType::kNone;
  openssl::EvpPkeyPtr new_key = sc::RsaKey();
  openssl::X509ReqPtr new_csr = sc::MakeCsr(new_key.get(), csr);
  sc::MessageSpec spec;
  spec.type = "17";
  spec.transaction_id = "renew-1";
  X509* old_cert = first.certs[0].get();
  std::string msg = sc::Request(sc::CsrDer(new_csr.get()), ra(), old_cert, c.key.get(), spec);
  http::Response r = Post(msg);
  ASSERT_EQ(r.status, 200);
  sc::Reply renewed = sc::OpenReply(r.body, ra(), old_cert, c.key.get());
  ASSERT_EQ(renewed.pki_status, "0") << renewed.fail_text;
  ASSERT_EQ(renewed.certs.size(), 1u);
  EXPECT_NE(X509_cmp(renewed.certs[0].get(), old_cert), 0);
  EXPECT_EQ(RecordStatus(renewed.certs[0].get()), "good");
}

TEST_F(ScepEnrollTest, RenewalReqWithASelfSignedSignerIsRefused) {
  Start();
  sc::CsrSpec csr;
  csr.challenge_type = sc::ChallengeType::kNone;
  Client c = NewClient(csr);
  sc::MessageSpec spec;
  spec.type = "17";
  sc::Reply reply = Enroll(c, spec);
  EXPECT_EQ(reply.pki_status, "2");
  EXPECT_EQ(reply.fail_info, "1");  // badMessageCheck
  EXPECT_EQ(RecordCount(), 0u);
}

TEST_F(ScepEnrollTest, ProfileForcesSubjectAddsDeviceUriAndEku) {
  cfg_.issuer.subject = "CN={cn},O=Acme";
  cfg_.issuer.uri_sans = {"urn:device:{cn}"};
  cfg_.issuer.ekus = {"clientAuth", "serverAuth"};
  Start();
  sc::CsrSpec csr;
  csr.cn = "dev-42";
  Client c = NewClient(csr);
  sc::Reply reply = Enroll(c);
  ASSERT_EQ(reply.pki_status, "0") << reply.fail_text;
  X509* cert = reply.certs[0].get();
  char subject[256];
  X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof(subject));
  EXPECT_NE(std::string(subject).find("O=Acme"), std::string::npos) << subject;
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  ASSERT_NE(sans, nullptr);
  bool found = false;
  for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans, i);
    if (gn->type != GEN_URI) continue;
    found = std::string(reinterpret_cast<const char*>(
                ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier))) == "urn:device:dev-42";
  }
  GENERAL_NAMES_free(sans);
  EXPECT_TRUE(found);
  EXPECT_EQ(X509_get_extended_key_usage(cert) & (XKU_SSL_CLIENT | XKU_SSL_SERVER),
            static_cast<uint32_t>(XKU_SSL_CLIENT | XKU_SSL_SERVER));
}

}  // namespace
}  // namespace keyward::test
