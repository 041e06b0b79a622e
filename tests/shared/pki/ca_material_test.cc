#include "shared/pki/ca_material.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "tests/support/test_pki.h"

namespace keyward::pki {
namespace {

const EVP_MD* Md(ocsp::HashAlg alg) {
  switch (alg) {
    case ocsp::HashAlg::kSha1:
      return EVP_sha1();
    case ocsp::HashAlg::kSha256:
      return EVP_sha256();
    case ocsp::HashAlg::kSha384:
      return EVP_sha384();
    case ocsp::HashAlg::kSha512:
      return EVP_sha512();
  }
  return nullptr;
}

constexpr ocsp::HashAlg kAllAlgs[] = {ocsp::HashAlg::kSha1, ocsp::HashAlg::kSha256,
                                      ocsp::HashAlg::kSha384, ocsp::HashAlg::kSha512};

// OpenSslCertId builds the CertID OpenSSL itself would send for `serial`
// under `ca`, and exposes its hashes as the spans ParseCertId would give.
struct OpenSslCertId {
  OpenSslCertId(X509* ca, ocsp::HashAlg alg, const ASN1_INTEGER* serial) {
    id.reset(
        OCSP_cert_id_new(Md(alg), X509_get_subject_name(ca), X509_get0_pubkey_bitstr(ca), serial));
    ASN1_OCTET_STRING* name_hash = nullptr;
    ASN1_OCTET_STRING* key_hash = nullptr;
    OCSP_id_get0_info(&name_hash, nullptr, &key_hash, nullptr, id.get());
    name.assign(name_hash->data, name_hash->data + name_hash->length);
    key.assign(key_hash->data, key_hash->data + key_hash->length);
    cert_id.hash = alg;
    cert_id.name_hash = name;
    cert_id.key_hash = key;
  }
  openssl::OcspCertIdPtr id;
  std::vector<uint8_t> name, key;
  ocsp::CertId cert_id;
};

class CaMaterialTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(pki_.Create()); }
  test::TestPki pki_;
};

TEST_F(CaMaterialTest, IssuerHashesAgreeWithOpenSsl) {
  CaMaterial& ca = pki_.ca();
  for (ocsp::HashAlg alg : kAllAlgs) {
    OpenSslCertId want(ca.cert.get(), alg, X509_get0_serialNumber(ca.cert.get()));
    const IssuerHashes& h = ca.Hashes(alg);
    ASSERT_EQ(h.length, ocsp::HashLength(alg));
    EXPECT_EQ(std::vector<uint8_t>(h.name_hash.begin(), h.name_hash.begin() + h.length), want.name);
    EXPECT_EQ(std::vector<uint8_t>(h.key_hash.begin(), h.key_hash.begin() + h.length), want.key);
    EXPECT_TRUE(ca.Matches(want.cert_id));
  }
}

TEST_F(CaMaterialTest, MatchesRejectsOtherIssuersAndMixedAlgorithms) {
  CaMaterial& ca = pki_.ca();
  OpenSslCertId sha1(ca.cert.get(), ocsp::HashAlg::kSha1, X509_get0_serialNumber(ca.cert.get()));
  OpenSslCertId sha256(ca.cert.get(), ocsp::HashAlg::kSha256,
                       X509_get0_serialNumber(ca.cert.get()));

  ocsp::CertId wrong_alg = sha256.cert_id;
  wrong_alg.hash = ocsp::HashAlg::kSha384;  // 32-byte hashes labelled SHA-384
  EXPECT_FALSE(ca.Matches(wrong_alg));
  wrong_alg.hash = ocsp::HashAlg::kSha1;
  EXPECT_FALSE(ca.Matches(wrong_alg));

  std::vector<uint8_t> flipped = sha1.key;
  flipped.back() ^= 1;
  ocsp::CertId other_key = sha1.cert_id;
  other_key.key_hash = flipped;
  EXPECT_FALSE(ca.Matches(other_key));

  std::vector<uint8_t> name_flipped = sha1.name;
  name_flipped.front() ^= 0x80;
  ocsp::CertId other_name = sha1.cert_id;
  other_name.name_hash = name_flipped;
  EXPECT_FALSE(ca.Matches(other_name));

  ocsp::CertId truncated = sha1.cert_id;
  truncated.key_hash = truncated.key_hash.first(19);
  EXPECT_FALSE(ca.Matches(truncated));

  test::TestPki other;
  ASSERT_TRUE(other.Create());
  OpenSslCertId foreign(other.ca().cert.get(), ocsp::HashAlg::kSha1,
                        X509_get0_serialNumber(other.ca().cert.get()));
  EXPECT_FALSE(ca.Matches(foreign.cert_id));
}

TEST_F(CaMaterialTest, IssuingLoadsEverything) {
  CaMaterial& ca = pki_.ca();
  EXPECT_EQ(ca.name, "test");
  EXPECT_TRUE(ca.key);
  EXPECT_TRUE(ca.signer_cert && ca.signer_key);
  EXPECT_NE(X509_cmp(ca.signer_cert.get(), ca.cert.get()), 0);  // delegated
  ASSERT_TRUE(ca.ra_cert && ca.ra_key);
  EXPECT_EQ(EVP_PKEY_get_base_id(ca.ra_key.get()), EVP_PKEY_RSA);
}

TEST_F(CaMaterialTest, OcspOnlyWithDelegatedSignerLeavesCaKeyAlone) {
  config::CaConfig cfg = pki_.config();
  cfg.key = pki_.Path("does-not-exist.key");  // never read
  Result<CaMaterial> ca = LoadCa(cfg, KeyUse::kOcspOnly);
  ASSERT_TRUE(ca) << ca.error();
  EXPECT_FALSE(ca->key);
  EXPECT_FALSE(ca->ra_cert);
  EXPECT_TRUE(ca->signer_key);
}

TEST_F(CaMaterialTest, WithoutDelegatedSignerTheCaSignsAndNeedsItsKey) {
  config::CaConfig cfg = pki_.config();
  cfg.ocsp_signer_cert.clear();
  cfg.ocsp_signer_key.clear();
  Result<CaMaterial> ca = LoadCa(cfg, KeyUse::kOcspOnly);
  ASSERT_TRUE(ca) << ca.error();
  EXPECT_EQ(X509_cmp(ca->signer_cert.get(), ca->cert.get()), 0);
  EXPECT_EQ(EVP_PKEY_eq(ca->signer_key.get(), ca->key.get()), 1);

  cfg.key.clear();
  Result<CaMaterial> keyless = LoadCa(cfg, KeyUse::kOcspOnly);
  ASSERT_FALSE(keyless);
  EXPECT_NE(keyless.error().find("needs its key"), std::string::npos) << keyless.error();
}

TEST_F(CaMaterialTest, RejectsSignerFromAnotherCa) {
  test::TestPki other;
  ASSERT_TRUE(other.Create());
  config::CaConfig cfg = pki_.config();
  cfg.ocsp_signer_cert = other.config().ocsp_signer_cert;
  cfg.ocsp_signer_key = other.config().ocsp_signer_key;
  Result<CaMaterial> ca = LoadCa(cfg, KeyUse::kOcspOnly);
  ASSERT_FALSE(ca);
  EXPECT_NE(ca.error().find("not issued by the CA"), std::string::npos) << ca.error();
}

TEST_F(CaMaterialTest, RejectsSignerWithoutOcspSigningEku) {
  Result<test::TestPki::Leaf> leaf = pki_.IssueLeaf("not-a-responder");
  ASSERT_TRUE(leaf) << leaf.error();
  config::CaConfig cfg = pki_.config();
  cfg.ocsp_signer_cert = leaf->cert_path;
  cfg.ocsp_signer_key = leaf->key_path;
  Result<CaMaterial> ca = LoadCa(cfg, KeyUse::kOcspOnly);
  ASSERT_FALSE(ca);
  EXPECT_NE(ca.error().find("id-kp-OCSPSigning"), std::string::npos) << ca.error();
}

TEST_F(CaMaterialTest, RejectsKeysThatDoNotMatch) {
  config::CaConfig cfg = pki_.config();
  cfg.ocsp_signer_key = cfg.ra_key;
  Result<CaMaterial> signer = LoadCa(cfg, KeyUse::kOcspOnly);
  ASSERT_FALSE(signer);
  EXPECT_NE(signer.error().find("does not match"), std::string::npos) << signer.error();

  cfg = pki_.config();
  cfg.key = cfg.ocsp_signer_key;
  Result<CaMaterial> ca_key = LoadCa(cfg, KeyUse::kIssuing);
  ASSERT_FALSE(ca_key);
  EXPECT_NE(ca_key.error().find("does not match"), std::string::npos) << ca_key.error();

  cfg = pki_.config();
  cfg.ra_key = cfg.key;
  Result<CaMaterial> ra = LoadCa(cfg, KeyUse::kIssuing);
  ASSERT_FALSE(ra);
  EXPECT_NE(ra.error().find(cfg.ra_cert), std::string::npos) << ra.error();
}

TEST_F(CaMaterialTest, RaIsOptionalWhenItsFilesAreAbsent) {
  config::CaConfig cfg = pki_.config();
  cfg.ra_cert = pki_.Path("absent-ra.pem");
  cfg.ra_key = pki_.Path("absent-ra.key");
  Result<CaMaterial> ca = LoadCa(cfg, KeyUse::kIssuing);
  ASSERT_TRUE(ca) << ca.error();
  EXPECT_FALSE(ca->ra_cert);
  EXPECT_FALSE(ca->ra_key);
}

TEST_F(CaMaterialTest, PemLoadErrorsNameTheFile) {
  std::string missing = pki_.Path("missing.pem");
  Result<openssl::X509Ptr> cert = LoadCertificatePem(missing);
  ASSERT_FALSE(cert);
  EXPECT_NE(cert.error().find(missing), std::string::npos);

  std::string garbage = pki_.Path("garbage.pem");
  std::ofstream(garbage) << "not a certificate\n";
  cert = LoadCertificatePem(garbage);
  ASSERT_FALSE(cert);
  EXPECT_NE(cert.error().find(garbage), std::string::npos);
  Result<openssl::EvpPkeyPtr> key = LoadPrivateKeyPem(garbage);
  ASSERT_FALSE(key);
  EXPECT_NE(key.error().find(garbage), std::string::npos);
  // A certificate is not a key.
  EXPECT_FALSE(LoadPrivateKeyPem(pki_.ca_cert_path()));

  config::CaConfig cfg = pki_.config();
  cfg.cert = missing;
  Result<CaMaterial> ca = LoadCa(cfg, KeyUse::kOcspOnly);
  ASSERT_FALSE(ca);
  EXPECT_NE(ca.error().find(missing), std::string::npos);
}

TEST(CaMaterialRsaTest, RsaCaHashesMatch) {
  test::TestPki::Options options;
  options.key_type = "rsa-2048";
  options.ra = false;
  test::TestPki pki(options);
  ASSERT_TRUE(pki.Create());
  for (ocsp::HashAlg alg : kAllAlgs) {
    OpenSslCertId want(pki.ca().cert.get(), alg, X509_get0_serialNumber(pki.ca().cert.get()));
    EXPECT_TRUE(pki.ca().Matches(want.cert_id));
  }
  EXPECT_FALSE(pki.ca().ra_cert);
}

}  // namespace
}  // namespace keyward::pki
