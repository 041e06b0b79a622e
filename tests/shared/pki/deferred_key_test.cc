#include "shared/pki/deferred_key.h"

#include <gtest/gtest.h>
#include <openssl/err.h>

#include <string>

#include "shared/pki/x509_build.h"
#include "tests/support/test_pki.h"

namespace keyward::pki {
namespace {

std::string CsrDer(X509_REQ* csr) {
  unsigned char* der = nullptr;
  int len = i2d_X509_REQ(csr, &der);
  std::string out(reinterpret_cast<char*>(der), len > 0 ? static_cast<size_t>(len) : 0);
  OPENSSL_free(der);
  return out;
}

der::Bytes BytesOf(const std::string& s) {
  return der::Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

std::string SpkiDer(const X509_PUBKEY* spki) {
  unsigned char* der = nullptr;
  int len = i2d_X509_PUBKEY(spki, &der);
  std::string out(reinterpret_cast<char*>(der), len > 0 ? static_cast<size_t>(len) : 0);
  OPENSSL_free(der);
  return out;
}

class DeferredKeyTest : public ::testing::TestWithParam<const char*> {};

TEST_P(DeferredKeyTest, CsrParsesWithoutItsKeyAndTheKeyDecodesSeparately) {
  Result<openssl::EvpPkeyPtr> key = GenerateKey(GetParam());
  ASSERT_TRUE(key) << key.error();
  Result<openssl::X509ReqPtr> made = test::MakeCsr(key->get(), "dev1");
  ASSERT_TRUE(made) << made.error();
  std::string der = CsrDer(made->get());

  openssl::X509ReqPtr csr = ParseCsrDeferringKey(BytesOf(der));
  ASSERT_TRUE(csr);
  EXPECT_EQ(X509_REQ_get0_pubkey(csr.get()), nullptr);  // left undecoded
  openssl::DrainErrors();
  EXPECT_EQ(NameToRfc2253(X509_REQ_get_subject_name(csr.get())), "CN=dev1");
  EXPECT_EQ(CsrDer(csr.get()), der);  // re-encodes to the same bytes

  openssl::EvpPkeyPtr decoded = DecodePublicKey(X509_REQ_get_X509_PUBKEY(csr.get()));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(EVP_PKEY_eq(decoded.get(), key->get()), 1);
  EXPECT_EQ(X509_REQ_verify(csr.get(), decoded.get()), 1);
}

INSTANTIATE_TEST_SUITE_P(KeyTypes, DeferredKeyTest,
                         ::testing::Values("rsa-2048", "ec-p256", "ec-p384"), [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) c = c == '-' ? '_' : c;
                           return name;
                         });

TEST(RsaPublicKeyOfTest, RsaOnlyAndEncodesBackToTheSameBytes) {
  Result<openssl::EvpPkeyPtr> rsa = GenerateKey("rsa-2048");
  Result<openssl::EvpPkeyPtr> ec = GenerateKey("ec-p256");
  ASSERT_TRUE(rsa && ec);
  Result<openssl::X509ReqPtr> rsa_csr = test::MakeCsr(rsa->get(), "r");
  Result<openssl::X509ReqPtr> ec_csr = test::MakeCsr(ec->get(), "e");
  ASSERT_TRUE(rsa_csr && ec_csr);

  X509_PUBKEY* spki = X509_REQ_get_X509_PUBKEY(rsa_csr->get());
  openssl::EvpPkeyPtr key = RsaPublicKeyOf(spki);
  ASSERT_TRUE(key);
  EXPECT_EQ(EVP_PKEY_get_base_id(key.get()), EVP_PKEY_RSA);
  EXPECT_EQ(EVP_PKEY_eq(key.get(), rsa->get()), 1);
  // What a certificate made from it carries: the CSR's SubjectPublicKeyInfo.
  openssl::X509Ptr cert(X509_new());
  ASSERT_EQ(X509_set_pubkey(cert.get(), key.get()), 1);
  EXPECT_EQ(SpkiDer(X509_get_X509_PUBKEY(cert.get())), SpkiDer(spki));

  EXPECT_FALSE(RsaPublicKeyOf(X509_REQ_get_X509_PUBKEY(ec_csr->get())));
  EXPECT_FALSE(RsaPublicKeyOf(nullptr));
}

TEST(ParseCsrDeferringKeyTest, RejectsWhatIsNotACsr) {
  EXPECT_FALSE(ParseCsrDeferringKey(BytesOf("")));
  EXPECT_FALSE(ParseCsrDeferringKey(BytesOf(std::string("\x30\x03\x02\x01\x01", 5))));
  Result<openssl::EvpPkeyPtr> key = GenerateKey("rsa-2048");
  ASSERT_TRUE(key);
  Result<openssl::X509ReqPtr> made = test::MakeCsr(key->get(), "t");
  ASSERT_TRUE(made);
  std::string der = CsrDer(made->get());
  for (size_t cut = 0; cut < der.size(); cut += 7) {
    EXPECT_FALSE(ParseCsrDeferringKey(BytesOf(der.substr(0, cut)))) << cut;
  }
  EXPECT_EQ(ERR_peek_error(), 0u);  // nothing left on the error queue
}

}  // namespace
}  // namespace keyward::pki
