#include "shared/pki/deferred_key.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

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

std::string CertDer(X509* cert) {
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  std::string out(reinterpret_cast<char*>(der), len > 0 ? static_cast<size_t>(len) : 0);
  OPENSSL_free(der);
  return out;
}

// SelfSigned: a self-signed certificate for `key`. With kNoRsaNull the
// rsaEncryption AlgorithmIdentifier leaves out its NULL parameters, which
// X509_set_pubkey would put back.
enum class RsaParams { kNull, kNoRsaNull };
openssl::X509Ptr SelfSigned(EVP_PKEY* key, RsaParams params = RsaParams::kNull) {
  openssl::X509Ptr cert(X509_new());
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 7);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("self"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key);
  if (params == RsaParams::kNoRsaNull) {
    X509_PUBKEY* spki = X509_get_X509_PUBKEY(cert.get());
    const unsigned char* bits = nullptr;
    int len = 0;
    X509_PUBKEY_get0_param(nullptr, &bits, &len, nullptr, spki);
    auto* copy = static_cast<unsigned char*>(OPENSSL_memdup(bits, static_cast<size_t>(len)));
    X509_PUBKEY_set0_param(spki, OBJ_nid2obj(NID_rsaEncryption), V_ASN1_UNDEF, nullptr, copy, len);
  }
  X509_sign(cert.get(), key, EVP_sha256());
  return cert;
}

TEST(ParseCertificateTest, RsaKeyReadDirectlyOthersThroughOpenssl) {
  for (const char* type : {"rsa-2048", "ec-p256"}) {
    Result<openssl::EvpPkeyPtr> key = GenerateKey(type);
    ASSERT_TRUE(key) << type;
    std::string der = CertDer(SelfSigned(key->get()).get());
    openssl::X509Ptr cert = ParseCertificate(BytesOf(der));
    ASSERT_TRUE(cert) << type;
    EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(cert.get()), key->get()), 1) << type;
    EXPECT_EQ(CertDer(cert.get()), der) << type;
    EXPECT_EQ(X509_verify(cert.get(), key->get()), 1) << type;
    EXPECT_EQ(X509_check_issued(cert.get(), cert.get()), X509_V_OK) << type;
  }
}

TEST(ParseCertificateTest, KeyWhoseReencodingDiffersKeepsTheSignedBytes) {
  Result<openssl::EvpPkeyPtr> key = GenerateKey("rsa-2048");
  ASSERT_TRUE(key);
  std::string der = CertDer(SelfSigned(key->get(), RsaParams::kNoRsaNull).get());
  openssl::X509Ptr cert = ParseCertificate(BytesOf(der));
  ASSERT_TRUE(cert);
  EXPECT_EQ(CertDer(cert.get()), der);
  EXPECT_EQ(X509_verify(cert.get(), key->get()), 1);
  EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(cert.get()), key->get()), 1);
}

TEST(ParseCertificateTest, RejectsTrailingBytesAndGarbage) {
  Result<openssl::EvpPkeyPtr> key = GenerateKey("rsa-2048");
  ASSERT_TRUE(key);
  std::string der = CertDer(SelfSigned(key->get()).get());
  EXPECT_FALSE(ParseCertificate(BytesOf(der + "x")));
  EXPECT_FALSE(ParseCertificate(BytesOf(der.substr(0, der.size() - 1))));
  EXPECT_FALSE(ParseCertificate(BytesOf("")));
  EXPECT_EQ(ERR_peek_error(), 0u);
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
