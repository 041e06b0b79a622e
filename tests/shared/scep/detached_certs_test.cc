#include "shared/scep/detached_certs.h"

#include <gtest/gtest.h>
#include <openssl/err.h>

#include <string>

#include "tests/shared/scep/request_builder.h"

namespace keyward::scep {
namespace {

namespace sc = test::scep_client;

der::Bytes BytesOf(const std::string& s) {
  return der::Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

std::string StringOf(der::Bytes b) { return std::string(b.begin(), b.end()); }

// Indefinite: the same message with BER's indefinite length on the outer
// SEQUENCE, as streaming encoders write it.
std::string Indefinite(const std::string& der) {
  size_t header = 2 + ((static_cast<unsigned char>(der[1]) & 0x80) != 0
                           ? (static_cast<unsigned char>(der[1]) & 0x7f)
                           : 0);
  return std::string("\x30\x80", 2) + der.substr(header) + std::string(2, '\0');
}

class DetachedCertsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ra_key_ = sc::RsaKey();
    ra_ = sc::SelfSigned(ra_key_.get(), sc::SignerStyle::kSelfSignedSha256, "RA");
    key_ = sc::RsaKey();
    signer_ = sc::SelfSigned(key_.get(), sc::SignerStyle::kSelfSignedSha256, "dev");
    openssl::X509ReqPtr csr = sc::MakeCsr(key_.get(), {});
    message_ = sc::Request(sc::CsrDer(csr.get()), ra_.get(), signer_.get(), key_.get(), {});
  }
  openssl::EvpPkeyPtr ra_key_, key_;
  openssl::X509Ptr ra_, signer_;
  std::string message_;
};

TEST_F(DetachedCertsTest, TakesTheCertificatesOutAndTheRestStillVerifies) {
  DetachedCerts parts;
  ASSERT_TRUE(DetachCertificates(BytesOf(message_), &parts));
  ASSERT_EQ(parts.certs.size(), 1u);
  EXPECT_EQ(StringOf(parts.certs[0]), sc::DerOf(signer_.get()));
  EXPECT_LT(parts.message.size(), message_.size());

  const unsigned char* p = reinterpret_cast<const unsigned char*>(parts.message.data());
  openssl::CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(parts.message.size())));
  ASSERT_TRUE(cms);
  EXPECT_EQ(p, reinterpret_cast<const unsigned char*>(parts.message.data()) + parts.message.size());
  STACK_OF(X509)* carried = CMS_get1_certs(cms.get());  // null: none at all
  EXPECT_EQ(carried, nullptr);
  sk_X509_pop_free(carried, X509_free);
  // Without the certificate the signature cannot be checked; with it, it is.
  openssl::BioPtr out(BIO_new(BIO_s_mem()));
  EXPECT_NE(CMS_verify(cms.get(), nullptr, nullptr, nullptr, out.get(),
                       CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY),
            1);
  ERR_clear_error();
  STACK_OF(X509)* given = sk_X509_new_null();
  sk_X509_push(given, signer_.get());
  EXPECT_EQ(CMS_verify(cms.get(), given, nullptr, nullptr, out.get(),
                       CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY),
            1);
  sk_X509_free(given);
}

TEST_F(DetachedCertsTest, LeavesOtherShapesToOpenssl) {
  DetachedCerts parts;
  // BER that OpenSSL reads (the caller's fallback) but this does not.
  std::string ber = Indefinite(message_);
  const unsigned char* p = reinterpret_cast<const unsigned char*>(ber.data());
  openssl::CmsPtr readable(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(ber.size())));
  EXPECT_TRUE(readable);
  EXPECT_FALSE(DetachCertificates(BytesOf(ber), &parts));
  EXPECT_FALSE(DetachCertificates(BytesOf(message_ + std::string(1, '\0')), &parts));
  EXPECT_FALSE(DetachCertificates(BytesOf(message_.substr(0, message_.size() - 1)), &parts));
  EXPECT_FALSE(DetachCertificates(BytesOf(""), &parts));
  // An EnvelopedData is not SignedData.
  std::string envelope = sc::Envelope("content", ra_.get(), {});
  EXPECT_FALSE(DetachCertificates(BytesOf(envelope), &parts));
  // A SignedData without certificates has nothing to detach.
  DetachedCerts stripped;
  ASSERT_TRUE(DetachCertificates(BytesOf(message_), &stripped));
  EXPECT_FALSE(DetachCertificates(BytesOf(stripped.message), &parts));
  EXPECT_TRUE(parts.certs.empty());
}

}  // namespace
}  // namespace keyward::scep
