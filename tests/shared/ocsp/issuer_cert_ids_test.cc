// IssuerCertIds against OpenSSL's own CertID encoding, serial by serial.
#include "shared/ocsp/issuer_cert_ids.h"

#include <gtest/gtest.h>

#include <openssl/bn.h>
#include <openssl/ocsp.h>

#include <string>
#include <vector>

#include "tests/support/test_pki.h"

namespace keyward::ocsp {
namespace {

std::vector<uint8_t> OpensslCertId(X509* ca, const EVP_MD* md, const std::string& hex) {
  BIGNUM* bn = nullptr;
  EXPECT_GT(BN_hex2bn(&bn, hex.c_str()), 0);
  openssl::BignumPtr owned(bn);
  openssl::Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn, nullptr));
  openssl::OcspCertIdPtr id(
      OCSP_cert_id_new(md, X509_get_subject_name(ca), X509_get0_pubkey_bitstr(ca), serial.get()));
  std::vector<uint8_t> out(static_cast<size_t>(i2d_OCSP_CERTID(id.get(), nullptr)));
  unsigned char* p = out.data();
  i2d_OCSP_CERTID(id.get(), &p);
  return out;
}

TEST(IssuerCertIdsTest, SameBytesAsOpenssl) {
  test::TestPki pki;
  ASSERT_TRUE(pki.Create());
  X509* ca = pki.ca().cert.get();
  Result<IssuerCertIds> ids = IssuerCertIds::For(ca);
  ASSERT_TRUE(ids) << ids.error();
  const std::pair<HashAlg, const EVP_MD*> algs[] = {{HashAlg::kSha1, EVP_sha1()},
                                                    {HashAlg::kSha256, EVP_sha256()},
                                                    {HashAlg::kSha384, EVP_sha384()},
                                                    {HashAlg::kSha512, EVP_sha512()}};
  const std::string serials[] = {"0",
                                 "1",
                                 "7F",
                                 "80",
                                 "FF",
                                 "100",
                                 "ABC",
                                 "00FF",
                                 "0080",
                                 "4B57000000000000000000000000000000000001",
                                 std::string(64, 'F')};
  for (const auto& [alg, md] : algs) {
    for (const std::string& hex : serials) {
      SCOPED_TRACE(hex);
      std::vector<uint8_t> ours;
      ASSERT_TRUE(ids->Encode(alg, hex, &ours));
      EXPECT_EQ(ours, OpensslCertId(ca, md, hex));
    }
  }
}

TEST(IssuerCertIdsTest, RejectsTextThatIsNotASerial) {
  test::TestPki pki;
  ASSERT_TRUE(pki.Create());
  Result<IssuerCertIds> ids = IssuerCertIds::For(pki.ca().cert.get());
  ASSERT_TRUE(ids) << ids.error();
  std::vector<uint8_t> out;
  for (const std::string& bad : {std::string(), std::string("xyz"), std::string("12 3"),
                                 std::string("-1"), std::string(65, '1')}) {
    EXPECT_FALSE(ids->Encode(HashAlg::kSha1, bad, &out)) << bad;
  }
}

}  // namespace
}  // namespace keyward::ocsp
