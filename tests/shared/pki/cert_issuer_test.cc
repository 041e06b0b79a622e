#include "shared/pki/cert_issuer.h"

#include <gtest/gtest.h>

#include <ctime>
#include <set>
#include <string>
#include <vector>

#include "shared/pki/deferred_key.h"
#include "shared/pki/x509_build.h"
#include "tests/support/test_pki.h"

namespace keyward::pki {
namespace {

using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, openssl::Free<GENERAL_NAMES_free>>;
using EkuPtr = std::unique_ptr<EXTENDED_KEY_USAGE, openssl::Free<EXTENDED_KEY_USAGE_free>>;

// Issue takes the clock; "now" keeps the certificates inside the test CA's life.
const int64_t kNow = static_cast<int64_t>(std::time(nullptr));

// Sans lists "DNS:x" / "URI:y" in certificate order.
std::vector<std::string> Sans(X509* cert, int* critical = nullptr) {
  std::vector<std::string> out;
  GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, critical, nullptr)));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    int type = 0;
    auto* value = static_cast<ASN1_STRING*>(
        GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(names.get(), i), &type));
    std::string text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                     static_cast<size_t>(ASN1_STRING_length(value)));
    out.push_back((type == GEN_DNS ? "DNS:" : type == GEN_URI ? "URI:" : "?:") + text);
  }
  return out;
}

std::vector<std::string> EkuOids(X509* cert) {
  std::vector<std::string> out;
  EkuPtr eku(static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(cert, NID_ext_key_usage, nullptr, nullptr)));
  if (!eku) return out;
  for (int i = 0; i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
    char buf[80];
    OBJ_obj2txt(buf, sizeof(buf), sk_ASN1_OBJECT_value(eku.get(), i), 1);
    out.push_back(buf);
  }
  return out;
}

std::vector<std::string> OcspUrls(X509* cert) {
  std::vector<std::string> out;
  STACK_OF(OPENSSL_STRING)* urls = X509_get1_ocsp(cert);
  for (int i = 0; i < sk_OPENSSL_STRING_num(urls); ++i)
    out.push_back(sk_OPENSSL_STRING_value(urls, i));
  X509_email_free(urls);
  return out;
}

class CertIssuerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(pki_.Create()); }

  // Verify runs OpenSSL's full path validation at kNow with the test CA as
  // the only trust anchor, for TLS client use.
  bool Verify(X509* cert) {
    openssl::X509StorePtr store(X509_STORE_new());
    X509_STORE_add_cert(store.get(), pki_.ca().cert.get());
    std::unique_ptr<X509_STORE_CTX, openssl::Free<X509_STORE_CTX_free>> ctx(X509_STORE_CTX_new());
    X509_STORE_CTX_init(ctx.get(), store.get(), cert, nullptr);
    X509_STORE_CTX_set_time(ctx.get(), 0, static_cast<time_t>(kNow));
    X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
    bool ok = X509_verify_cert(ctx.get()) == 1;
    if (!ok) {
      ADD_FAILURE() << X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
    }
    return ok;
  }

  test::TestPki pki_;
};

TEST_F(CertIssuerTest, IssuesAVerifiableCertificateAndItsRecord) {
  test::TestPki::LeafOptions options;
  options.now = kNow;
  Result<test::TestPki::Leaf> leaf = pki_.IssueLeaf("device1", options);
  ASSERT_TRUE(leaf) << leaf.error();
  X509* cert = leaf->cert.get();
  EXPECT_EQ(X509_verify(cert, X509_get0_pubkey(pki_.ca().cert.get())), 1);
  EXPECT_EQ(X509_check_issued(pki_.ca().cert.get(), cert), X509_V_OK);
  EXPECT_TRUE(Verify(cert));
  EXPECT_EQ(X509_get_version(cert), X509_VERSION_3);
  EXPECT_EQ(X509_check_ca(cert), 0);
  EXPECT_NE(X509_get0_subject_key_id(cert), nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(cert),
                                  X509_get0_subject_key_id(pki_.ca().cert.get())),
            0);
  // EC leaf: signing only.
  EXPECT_EQ(X509_get_key_usage(cert), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));

  // Serial: 16 octets, positive, minimal.
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  EXPECT_EQ(ASN1_STRING_length(serial), 16);
  EXPECT_EQ(ASN1_STRING_type(serial), V_ASN1_INTEGER);
  const uint8_t* octets = ASN1_STRING_get0_data(serial);
  EXPECT_NE(octets[0], 0);
  EXPECT_EQ(octets[0] & 0x80, 0);
  openssl::BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  char* hex = BN_bn2hex(bn.get());
  const store::CertRecord& r = leaf->record;
  EXPECT_EQ(r.serial_hex, hex);
  EXPECT_EQ(r.serial_hex.size(), 32u);
  OPENSSL_free(hex);

  EXPECT_EQ(r.ca, "test");
  EXPECT_EQ(r.status, ocsp::CertStatus::kGood);
  EXPECT_EQ(r.source, store::Source::kKeyward);
  EXPECT_EQ(r.not_before, kNow - options.profile.backdate_s);
  EXPECT_EQ(r.not_after, kNow + 365 * 86400);
  EXPECT_EQ(r.subject, "CN=device1");
  EXPECT_EQ(r.device_id, "");  // the test CA has no device_id rule
  EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_get0_notBefore(cert), r.not_before), 0);
  EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_get0_notAfter(cert), r.not_after), 0);
}

TEST_F(CertIssuerTest, SerialsDiffer) {
  std::set<std::string> serials;
  for (int i = 0; i < 10; ++i) {
    Result<test::TestPki::Leaf> leaf = pki_.IssueLeaf("leaf" + std::to_string(i));
    ASSERT_TRUE(leaf) << leaf.error();
    serials.insert(leaf->record.serial_hex);
  }
  EXPECT_EQ(serials.size(), 10u);
}

TEST_F(CertIssuerTest, EkusByNameAndOid) {
  test::TestPki::LeafOptions options;
  EXPECT_EQ(EkuOids(pki_.IssueLeaf("default", options)->cert.get()),
            std::vector<std::string>{"1.3.6.1.5.5.7.3.2"});
  options.profile.ekus = {"clientAuth", "serverAuth", "codeSigning", "emailProtection",
                          "1.3.6.1.4.1.311.20.2.2"};
  Result<test::TestPki::Leaf> leaf = pki_.IssueLeaf("many", options);
  ASSERT_TRUE(leaf) << leaf.error();
  EXPECT_EQ(EkuOids(leaf->cert.get()),
            (std::vector<std::string>{"1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.3",
                                      "1.3.6.1.5.5.7.3.4", "1.3.6.1.4.1.311.20.2.2"}));
  EXPECT_EQ(X509_get_extended_key_usage(leaf->cert.get()),
            static_cast<uint32_t>(XKU_SSL_CLIENT | XKU_SSL_SERVER | XKU_CODE_SIGN | XKU_SMIME));

  options.profile.ekus = {"anyAuth"};
  Result<test::TestPki::Leaf> bad = pki_.IssueLeaf("bad", options);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("anyAuth"), std::string::npos) << bad.error();
}

TEST_F(CertIssuerTest, SansFromCsrAndProfile) {
  test::TestPki::LeafOptions options;
  options.dns_sans = {"laptop.example.com"};
  options.uri_sans = {"urn:device:abc"};
  options.profile.extra_uri_sans = {"urn:device:1234"};
  options.profile.extra_dns_sans = {"extra.example.com"};
  Result<test::TestPki::Leaf> leaf = pki_.IssueLeaf("sans", options);
  ASSERT_TRUE(leaf) << leaf.error();
  int critical = -2;
  EXPECT_EQ(Sans(leaf->cert.get(), &critical),
            (std::vector<std::string>{"DNS:laptop.example.com", "URI:urn:device:abc",
                                      "URI:urn:device:1234", "DNS:extra.example.com"}));
  EXPECT_EQ(critical, 0);

  options.profile.copy_csr_sans = false;
  leaf = pki_.IssueLeaf("no-csr-sans", options);
  ASSERT_TRUE(leaf) << leaf.error();
  EXPECT_EQ(Sans(leaf->cert.get()),
            (std::vector<std::string>{"URI:urn:device:1234", "DNS:extra.example.com"}));

  test::TestPki::LeafOptions none;
  leaf = pki_.IssueLeaf("no-sans", none);
  ASSERT_TRUE(leaf) << leaf.error();
  EXPECT_LT(X509_get_ext_by_NID(leaf->cert.get(), NID_subject_alt_name, -1), 0);
}

TEST_F(CertIssuerTest, EmptySubjectMakesSanCritical) {
  Result<openssl::EvpPkeyPtr> key = GenerateKey("ec-p256");
  ASSERT_TRUE(key);
  Result<openssl::X509ReqPtr> csr = test::MakeCsr(key->get(), "", {"only-san.example"});
  ASSERT_TRUE(csr) << csr.error();
  Result<IssuedCert> issued = Issue(pki_.ca(), csr->get(), {}, "", kNow);
  ASSERT_TRUE(issued) << issued.error();
  int critical = -2;
  EXPECT_EQ(Sans(issued->cert.get(), &critical), std::vector<std::string>{"DNS:only-san.example"});
  EXPECT_EQ(critical, 1);
  EXPECT_EQ(issued->record.subject, "");
}

TEST_F(CertIssuerTest, AiaOnlyWhenAnOcspUrlIsGiven) {
  Result<test::TestPki::Leaf> leaf = pki_.IssueLeaf("aia");
  ASSERT_TRUE(leaf) << leaf.error();
  EXPECT_EQ(OcspUrls(leaf->cert.get()), std::vector<std::string>{pki_.options().ocsp_url});

  Result<openssl::X509ReqPtr> csr = test::MakeCsr(leaf->key.get(), "no-aia");
  ASSERT_TRUE(csr);
  Result<IssuedCert> issued = Issue(pki_.ca(), csr->get(), {}, "", kNow);
  ASSERT_TRUE(issued) << issued.error();
  EXPECT_TRUE(OcspUrls(issued->cert.get()).empty());
  EXPECT_LT(X509_get_ext_by_NID(issued->cert.get(), NID_info_access, -1), 0);

  // Characters OpenSSL's config syntax would choke on go through unchanged.
  issued = Issue(pki_.ca(), csr->get(), {}, "http://127.0.0.1:8080/ocsp,a;b", kNow);
  ASSERT_TRUE(issued) << issued.error();
  EXPECT_EQ(OcspUrls(issued->cert.get()),
            std::vector<std::string>{"http://127.0.0.1:8080/ocsp,a;b"});
}

TEST_F(CertIssuerTest, RsaLeafAlsoGetsKeyEncipherment) {
  test::TestPki::LeafOptions options;
  options.key_type = "rsa-2048";
  Result<test::TestPki::Leaf> leaf = pki_.IssueLeaf("rsa", options);
  ASSERT_TRUE(leaf) << leaf.error();
  EXPECT_EQ(X509_get_key_usage(leaf->cert.get()),
            static_cast<uint32_t>(KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
}

TEST_F(CertIssuerTest, RsaCaSignsWithSha256) {
  test::TestPki::Options options;
  options.key_type = "rsa-2048";
  options.ra = false;
  test::TestPki rsa(options);
  ASSERT_TRUE(rsa.Create());
  Result<test::TestPki::Leaf> leaf = rsa.IssueLeaf("leaf");
  ASSERT_TRUE(leaf) << leaf.error();
  EXPECT_EQ(X509_get_signature_nid(leaf->cert.get()), NID_sha256WithRSAEncryption);
  EXPECT_EQ(X509_verify(leaf->cert.get(), X509_get0_pubkey(rsa.ca().cert.get())), 1);
}

TEST_F(CertIssuerTest, SubjectOverrideAndDays) {
  test::TestPki::LeafOptions options;
  options.now = kNow;
  options.profile.subject = "CN=override,OU=Fleet,O=Example\\, Inc.";
  options.profile.days = 30;
  options.profile.backdate_s = 10;
  Result<test::TestPki::Leaf> leaf = pki_.IssueLeaf("override", options);
  ASSERT_TRUE(leaf) << leaf.error();
  EXPECT_EQ(leaf->record.subject, "CN=override,OU=Fleet,O=Example\\, Inc.");
  EXPECT_EQ(leaf->record.not_before, kNow - 10);
  EXPECT_EQ(leaf->record.not_after, kNow + 30 * 86400);
}

TEST_F(CertIssuerTest, NeverOutlivesTheCa) {
  test::TestPki::LeafOptions options;
  options.now = kNow;
  options.profile.days = 100 * 365;
  Result<test::TestPki::Leaf> leaf = pki_.IssueLeaf("long", options);
  ASSERT_TRUE(leaf) << leaf.error();
  EXPECT_EQ(ASN1_TIME_compare(X509_get0_notAfter(leaf->cert.get()),
                              X509_get0_notAfter(pki_.ca().cert.get())),
            0);
}

TEST_F(CertIssuerTest, RejectsTamperedCsrAndKeylessCa) {
  Result<openssl::EvpPkeyPtr> key = GenerateKey("ec-p256");
  ASSERT_TRUE(key);
  Result<openssl::X509ReqPtr> csr = test::MakeCsr(key->get(), "honest");
  ASSERT_TRUE(csr);
  // Changing the subject after signing breaks the self-signature.
  X509_NAME* name = X509_REQ_get_subject_name(csr->get());
  ASSERT_EQ(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                       reinterpret_cast<const unsigned char*>("evil"), -1, -1, 0),
            1);
  Result<IssuedCert> issued = Issue(pki_.ca(), csr->get(), {}, "", kNow);
  ASSERT_FALSE(issued);
  EXPECT_NE(issued.error().find("CSR signature"), std::string::npos) << issued.error();

  Result<openssl::X509ReqPtr> good = test::MakeCsr(key->get(), "honest");
  ASSERT_TRUE(good);
  Result<CaMaterial> ocsp_only = LoadCa(pki_.config(), KeyUse::kOcspOnly);
  ASSERT_TRUE(ocsp_only) << ocsp_only.error();
  issued = Issue(*ocsp_only, good->get(), {}, "", kNow);
  ASSERT_FALSE(issued);
  EXPECT_NE(issued.error().find("no key"), std::string::npos) << issued.error();
}

TEST_F(CertIssuerTest, CsrWithADeferredKeyCarriesItsKeyBytesIntoTheCertificate) {
  Result<openssl::EvpPkeyPtr> key = GenerateKey("rsa-2048");
  ASSERT_TRUE(key);
  Result<openssl::X509ReqPtr> made = test::MakeCsr(key->get(), "deferred");
  ASSERT_TRUE(made);
  unsigned char* der = nullptr;
  int len = i2d_X509_REQ(made->get(), &der);
  ASSERT_GT(len, 0);
  openssl::X509ReqPtr csr = ParseCsrDeferringKey(der::Bytes(der, static_cast<size_t>(len)));
  OPENSSL_free(der);
  ASSERT_TRUE(csr);
  openssl::EvpPkeyPtr csr_key = DecodePublicKey(X509_REQ_get_X509_PUBKEY(csr.get()));
  ASSERT_TRUE(csr_key);

  // Without the key the CSR has none to verify with: refused, not issued.
  EXPECT_FALSE(Issue(pki_.ca(), csr.get(), {}, "", kNow));
  Result<IssuedCert> issued = Issue(pki_.ca(), CsrInput{csr.get(), csr_key.get()}, {}, "", kNow);
  ASSERT_TRUE(issued) << issued.error();
  X509* cert = issued->cert.get();
  EXPECT_TRUE(Verify(cert));
  EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(cert), key->get()), 1);
  EXPECT_EQ(X509_get_key_usage(cert),
            static_cast<uint32_t>(KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
  unsigned char* cert_spki = nullptr;
  unsigned char* csr_spki = nullptr;
  int cert_len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &cert_spki);
  int csr_len = i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(csr.get()), &csr_spki);
  ASSERT_GT(cert_len, 0);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(cert_spki), static_cast<size_t>(cert_len)),
            std::string(reinterpret_cast<char*>(csr_spki), static_cast<size_t>(csr_len)));
  OPENSSL_free(cert_spki);
  OPENSSL_free(csr_spki);
  // The subject key identifier is the SHA-1 of those key bits (RFC 5280 4.2.1.2).
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(cert);
  ASSERT_NE(ski, nullptr);
  unsigned char sha1[20];
  unsigned int sha1_len = 0;
  ASSERT_EQ(X509_pubkey_digest(cert, EVP_sha1(), sha1, &sha1_len), 1);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(ski)),
                        static_cast<size_t>(ASN1_STRING_length(ski))),
            std::string(reinterpret_cast<char*>(sha1), sha1_len));
}

TEST_F(CertIssuerTest, TheGivenKeyIsTheOneTheCsrIsCheckedWith) {
  Result<openssl::EvpPkeyPtr> key = GenerateKey("rsa-2048");
  Result<openssl::EvpPkeyPtr> other = GenerateKey("rsa-2048");
  ASSERT_TRUE(key && other);
  Result<openssl::X509ReqPtr> csr = test::MakeCsr(key->get(), "checked");
  ASSERT_TRUE(csr);
  Result<IssuedCert> issued = Issue(pki_.ca(), CsrInput{csr->get(), other->get()}, {}, "", kNow);
  ASSERT_FALSE(issued);
  EXPECT_NE(issued.error().find("CSR signature"), std::string::npos) << issued.error();
  issued = Issue(pki_.ca(), CsrInput{csr->get(), key->get()}, {}, "", kNow);
  ASSERT_TRUE(issued) << issued.error();
  EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(issued->cert.get()), key->get()), 1);
}

class DeviceIdTest : public CertIssuerTest {};

TEST_F(DeviceIdTest, EachRule) {
  test::TestPki::LeafOptions options;
  options.cn = "cn-device-7";
  options.dns_sans = {"host7.example.com", "alt.example.com"};
  options.uri_sans = {"https://example.com/x", "urn:device:42"};
  Result<test::TestPki::Leaf> leaf = pki_.IssueLeaf("ids", options);
  ASSERT_TRUE(leaf) << leaf.error();
  X509* cert = leaf->cert.get();
  EXPECT_EQ(DeviceIdOf(cert, "san-uri:urn:device:"), "42");
  EXPECT_EQ(DeviceIdOf(cert, "san-uri:https://example.com/"), "x");
  EXPECT_EQ(DeviceIdOf(cert, "san-uri:urn:other:"), "");
  EXPECT_EQ(DeviceIdOf(cert, "subject:CN"), "cn-device-7");
  EXPECT_EQ(DeviceIdOf(cert, "subject:OU"), "");
  EXPECT_EQ(DeviceIdOf(cert, "subject:notAnAttribute"), "");
  EXPECT_EQ(DeviceIdOf(cert, "san-dns"), "host7.example.com");
  EXPECT_EQ(DeviceIdOf(cert, ""), "");
  EXPECT_EQ(DeviceIdOf(cert, "bogus"), "");

  test::TestPki::LeafOptions plain;
  Result<test::TestPki::Leaf> no_sans = pki_.IssueLeaf("plain", plain);
  ASSERT_TRUE(no_sans);
  EXPECT_EQ(DeviceIdOf(no_sans->cert.get(), "san-dns"), "");
  EXPECT_EQ(DeviceIdOf(no_sans->cert.get(), "san-uri:urn:device:"), "");
}

TEST(DeviceIdFixtureTest, TestPkiAppliesTheCaRule) {
  test::TestPki::Options options;
  options.device_id = "san-uri:urn:device:";
  test::TestPki pki(options);
  ASSERT_TRUE(pki.Create());
  test::TestPki::LeafOptions leaf_options;
  leaf_options.profile.extra_uri_sans = {"urn:device:abc-123"};
  Result<test::TestPki::Leaf> leaf = pki.IssueLeaf("dev", leaf_options);
  ASSERT_TRUE(leaf) << leaf.error();
  EXPECT_EQ(leaf->record.device_id, "abc-123");
}

}  // namespace
}  // namespace keyward::pki
