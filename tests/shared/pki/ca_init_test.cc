#include "shared/pki/ca_init.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "shared/pki/ca_material.h"

namespace keyward::pki {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

mode_t Mode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 0777;
}

class CaInitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string base = std::filesystem::temp_directory_path().string() + "/keyward-init-XXXXXX";
    ASSERT_NE(mkdtemp(base.data()), nullptr);
    dir_ = base;
    cfg_.name = "demo";
    // Nested: InitCa creates the parent directories.
    cfg_.cert = dir_ + "/pki/demo-ca.pem";
    cfg_.key = dir_ + "/pki/keys/demo-ca.key";
    cfg_.ocsp_signer_cert = dir_ + "/pki/demo-ocsp.pem";
    cfg_.ocsp_signer_key = dir_ + "/pki/keys/demo-ocsp.key";
    cfg_.ra_cert = dir_ + "/pki/demo-ra.pem";
    cfg_.ra_key = dir_ + "/pki/keys/demo-ra.key";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  openssl::X509Ptr Cert(const std::string& path) {
    Result<openssl::X509Ptr> cert = LoadCertificatePem(path);
    EXPECT_TRUE(cert) << cert.error();
    return cert ? std::move(*cert) : nullptr;
  }

  std::string dir_;
  config::CaConfig cfg_;
};

bool IsEcP256(EVP_PKEY* key) {
  char group[64];
  size_t len = 0;
  return EVP_PKEY_get_base_id(key) == EVP_PKEY_EC &&
         EVP_PKEY_get_group_name(key, group, sizeof(group), &len) == 1 &&
         std::string(group, len) == "prime256v1";
}

TEST_F(CaInitTest, CreatesEverythingWithEcP256ByDefault) {
  Result<std::vector<std::string>> created = InitCa(cfg_);
  ASSERT_TRUE(created) << created.error();
  std::vector<std::string> want = {
      cfg_.cert, cfg_.key, cfg_.ocsp_signer_cert, cfg_.ocsp_signer_key, cfg_.ra_cert, cfg_.ra_key};
  std::vector<std::string> got = *created;
  std::sort(want.begin(), want.end());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, want);

  openssl::X509Ptr ca = Cert(cfg_.cert);
  ASSERT_TRUE(ca);
  EXPECT_TRUE(IsEcP256(X509_get0_pubkey(ca.get())));
  EXPECT_EQ(X509_verify(ca.get(), X509_get0_pubkey(ca.get())), 1);  // self-signed
  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  EXPECT_EQ(X509_get_key_usage(ca.get()),
            static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN | KU_DIGITAL_SIGNATURE));
  int crit = 0;
  BASIC_CONSTRAINTS* bc = static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(ca.get(), NID_basic_constraints, &crit, nullptr));
  ASSERT_NE(bc, nullptr);
  EXPECT_TRUE(bc->ca);
  EXPECT_EQ(crit, 1);
  BASIC_CONSTRAINTS_free(bc);
  EXPECT_NE(X509_get0_subject_key_id(ca.get()), nullptr);
  EXPECT_NE(X509_get0_authority_key_id(ca.get()), nullptr);
  char* subject = X509_NAME_oneline(X509_get_subject_name(ca.get()), nullptr, 0);
  EXPECT_STREQ(subject, "/CN=demo CA");
  OPENSSL_free(subject);
  // About ten years.
  int days = 0, secs = 0;
  ASSERT_EQ(
      ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(ca.get()), X509_get0_notAfter(ca.get())), 1);
  EXPECT_GE(days, 3650);
  EXPECT_LE(days, 3651);
}

TEST_F(CaInitTest, RsaCaStillGetsEcP256SignerWithOcspExtensions) {
  cfg_.key_type = "rsa-2048";
  Result<std::vector<std::string>> created = InitCa(cfg_);
  ASSERT_TRUE(created) << created.error();
  openssl::X509Ptr ca = Cert(cfg_.cert);
  openssl::X509Ptr signer = Cert(cfg_.ocsp_signer_cert);
  ASSERT_TRUE(ca && signer);
  EXPECT_EQ(EVP_PKEY_get_base_id(X509_get0_pubkey(ca.get())), EVP_PKEY_RSA);
  EXPECT_EQ(EVP_PKEY_get_bits(X509_get0_pubkey(ca.get())), 2048);
  EXPECT_TRUE(IsEcP256(X509_get0_pubkey(signer.get())));

  EXPECT_EQ(X509_check_issued(ca.get(), signer.get()), X509_V_OK);
  EXPECT_EQ(X509_verify(signer.get(), X509_get0_pubkey(ca.get())), 1);
  EXPECT_NE(X509_get_extension_flags(signer.get()) & EXFLAG_XKUSAGE, 0u);
  EXPECT_EQ(X509_get_extended_key_usage(signer.get()), static_cast<uint32_t>(XKU_OCSP_SIGN));
  EXPECT_GE(X509_get_ext_by_NID(signer.get(), NID_id_pkix_OCSP_noCheck, -1), 0);
  EXPECT_EQ(X509_get_key_usage(signer.get()), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_check_ca(signer.get()), 0);
  int days = 0, secs = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(signer.get()),
                           X509_get0_notAfter(signer.get())),
            1);
  EXPECT_GE(days, 730);
  EXPECT_LE(days, 731);

  // The result loads, and the loader's own checks accept the signer.
  Result<CaMaterial> loaded = LoadCa(cfg_, KeyUse::kIssuing);
  ASSERT_TRUE(loaded) << loaded.error();
  EXPECT_NE(X509_cmp(loaded->signer_cert.get(), loaded->cert.get()), 0);
}

TEST_F(CaInitTest, RaIsRsaWithSignatureAndEncipherment) {
  ASSERT_TRUE(InitCa(cfg_));
  openssl::X509Ptr ca = Cert(cfg_.cert);
  openssl::X509Ptr ra = Cert(cfg_.ra_cert);
  ASSERT_TRUE(ca && ra);
  EXPECT_EQ(EVP_PKEY_get_base_id(X509_get0_pubkey(ra.get())), EVP_PKEY_RSA);
  EXPECT_EQ(EVP_PKEY_get_bits(X509_get0_pubkey(ra.get())), 2048);
  EXPECT_EQ(X509_get_key_usage(ra.get()),
            static_cast<uint32_t>(KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
  EXPECT_EQ(X509_verify(ra.get(), X509_get0_pubkey(ca.get())), 1);
  EXPECT_EQ(X509_check_ca(ra.get()), 0);
}

TEST_F(CaInitTest, KeysArePkcs8AndMode0600) {
  ASSERT_TRUE(InitCa(cfg_));
  for (const std::string& key : {cfg_.key, cfg_.ocsp_signer_key, cfg_.ra_key}) {
    EXPECT_EQ(Mode(key), 0600u) << key;
    EXPECT_EQ(ReadFile(key).rfind("-----BEGIN PRIVATE KEY-----", 0), 0u) << key;
    Result<openssl::EvpPkeyPtr> loaded = LoadPrivateKeyPem(key);
    EXPECT_TRUE(loaded) << loaded.error();
  }
  for (const std::string& cert : {cfg_.cert, cfg_.ocsp_signer_cert, cfg_.ra_cert}) {
    EXPECT_EQ(Mode(cert), 0644u) << cert;
  }
}

TEST_F(CaInitTest, SecondRunCreatesAndChangesNothing) {
  ASSERT_TRUE(InitCa(cfg_));
  std::vector<std::string> files = {
      cfg_.cert, cfg_.key, cfg_.ocsp_signer_cert, cfg_.ocsp_signer_key, cfg_.ra_cert, cfg_.ra_key};
  std::vector<std::string> before;
  for (const std::string& f : files) before.push_back(ReadFile(f));
  Result<std::vector<std::string>> again = InitCa(cfg_);
  ASSERT_TRUE(again) << again.error();
  EXPECT_TRUE(again->empty());
  for (size_t i = 0; i < files.size(); ++i) EXPECT_EQ(ReadFile(files[i]), before[i]) << files[i];
}

TEST_F(CaInitTest, RecreatesOnlyWhatIsMissing) {
  ASSERT_TRUE(InitCa(cfg_));
  std::string ca_before = ReadFile(cfg_.cert);
  std::string ra_before = ReadFile(cfg_.ra_cert);
  std::filesystem::remove(cfg_.ocsp_signer_cert);
  std::filesystem::remove(cfg_.ocsp_signer_key);
  Result<std::vector<std::string>> created = InitCa(cfg_);
  ASSERT_TRUE(created) << created.error();
  EXPECT_EQ(created->size(), 2u);
  EXPECT_EQ(ReadFile(cfg_.cert), ca_before);
  EXPECT_EQ(ReadFile(cfg_.ra_cert), ra_before);
  ASSERT_TRUE(LoadCa(cfg_, KeyUse::kIssuing));
}

TEST_F(CaInitTest, KeyWithoutCertGetsACertForThatKey) {
  ASSERT_TRUE(InitCa(cfg_));
  std::string key_before = ReadFile(cfg_.ocsp_signer_key);
  std::filesystem::remove(cfg_.ocsp_signer_cert);
  Result<std::vector<std::string>> created = InitCa(cfg_);
  ASSERT_TRUE(created) << created.error();
  EXPECT_EQ(*created, std::vector<std::string>{cfg_.ocsp_signer_cert});
  EXPECT_EQ(ReadFile(cfg_.ocsp_signer_key), key_before);
  Result<CaMaterial> loaded = LoadCa(cfg_, KeyUse::kOcspOnly);
  EXPECT_TRUE(loaded) << loaded.error();
}

TEST_F(CaInitTest, CertWithoutKeyIsAnError) {
  ASSERT_TRUE(InitCa(cfg_));
  std::filesystem::remove(cfg_.key);
  Result<std::vector<std::string>> again = InitCa(cfg_);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().find(cfg_.key), std::string::npos) << again.error();
  EXPECT_FALSE(std::filesystem::exists(cfg_.key));
}

TEST_F(CaInitTest, OtherKeyTypesAndSubject) {
  cfg_.key_type = "rsa-3072";
  cfg_.ocsp_signer_key_type = "rsa-2048";
  cfg_.subject = "CN=Example Root,O=Example Org,C=DE";
  cfg_.ra_cert.clear();
  cfg_.ra_key.clear();
  Result<std::vector<std::string>> created = InitCa(cfg_);
  ASSERT_TRUE(created) << created.error();
  EXPECT_EQ(created->size(), 4u);  // no RA configured, none made
  openssl::X509Ptr ca = Cert(cfg_.cert);
  openssl::X509Ptr signer = Cert(cfg_.ocsp_signer_cert);
  ASSERT_TRUE(ca && signer);
  EXPECT_EQ(EVP_PKEY_get_bits(X509_get0_pubkey(ca.get())), 3072);
  EXPECT_EQ(EVP_PKEY_get_base_id(X509_get0_pubkey(signer.get())), EVP_PKEY_RSA);
  char* subject = X509_NAME_oneline(X509_get_subject_name(ca.get()), nullptr, 0);
  EXPECT_STREQ(subject, "/C=DE/O=Example Org/CN=Example Root");
  OPENSSL_free(subject);
}

TEST_F(CaInitTest, WithoutDelegatedSignerOnlyTheCaIsMade) {
  cfg_.ocsp_signer_cert.clear();
  cfg_.ocsp_signer_key.clear();
  cfg_.ra_cert.clear();
  cfg_.ra_key.clear();
  Result<std::vector<std::string>> created = InitCa(cfg_);
  ASSERT_TRUE(created) << created.error();
  EXPECT_EQ(created->size(), 2u);
  Result<CaMaterial> loaded = LoadCa(cfg_, KeyUse::kOcspOnly);
  ASSERT_TRUE(loaded) << loaded.error();
  EXPECT_EQ(X509_cmp(loaded->signer_cert.get(), loaded->cert.get()), 0);
}

TEST_F(CaInitTest, RejectsBadInput) {
  config::CaConfig no_key = cfg_;
  no_key.key.clear();
  EXPECT_FALSE(InitCa(no_key));
  config::CaConfig bad_type = cfg_;
  bad_type.key_type = "dsa-1024";
  Result<std::vector<std::string>> failed = InitCa(bad_type);
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().find("dsa-1024"), std::string::npos) << failed.error();
  EXPECT_FALSE(std::filesystem::exists(cfg_.key));
}

}  // namespace
}  // namespace keyward::pki
