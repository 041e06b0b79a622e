// shared/scep decoding below the service: GET message base64, envelope
// algorithm reading, and refusal classes.
#include "shared/scep/pki_message.h"

#include <gtest/gtest.h>

#include "shared/scep/caps.h"
#include "shared/scep/cert_rep.h"
#include "shared/scep/envelope_info.h"
#include "shared/scep/get_message.h"
#include "tests/shared/scep/request_builder.h"

namespace keyward::scep {
namespace {

namespace sc = test::scep_client;

der::Bytes BytesOf(const std::string& s) {
  return der::Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

class PkiMessageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LoadLegacyProvider();
    ra_key_ = sc::RsaKey();
    ra_ = sc::SelfSigned(ra_key_.get(), sc::SignerStyle::kSelfSignedSha256, "RA");
    client_key_ = sc::RsaKey();
    client_ = sc::SelfSigned(client_key_.get(), sc::SignerStyle::kSelfSignedSha256, "dev");
    csr_ = sc::MakeCsr(client_key_.get(), {});
  }
  std::string Message(const sc::MessageSpec& spec = {}) {
    return sc::Request(sc::CsrDer(csr_.get()), ra_.get(), client_.get(), client_key_.get(), spec);
  }
  DecodeResult Decode(const std::string& der, PkiMessage* out,
                      WeakAlgorithms weak = WeakAlgorithms::kAccept) {
    Decrypter d{ra_.get(), ra_key_.get()};
    return DecodePkiMessage(BytesOf(der), std::span<const Decrypter>(&d, 1), weak, out);
  }
  openssl::EvpPkeyPtr ra_key_, client_key_;
  openssl::X509Ptr ra_, client_;
  openssl::X509ReqPtr csr_;
};

TEST_F(PkiMessageTest, DecodesAttributesCsrAndChallenge) {
  PkiMessage m;
  DecodeResult r = Decode(Message(), &m);
  ASSERT_EQ(r.status, DecodeStatus::kOk) << r.reason;
  EXPECT_EQ(m.type, MessageType::kPkcsReq);
  EXPECT_EQ(m.transaction_id, "tid-0001");
  EXPECT_EQ(m.sender_nonce, "0123456789abcdef");
  EXPECT_EQ(m.digest_nid, NID_sha256);
  EXPECT_EQ(m.cipher_nid, NID_aes_128_cbc);
  EXPECT_FALSE(m.oaep);
  EXPECT_EQ(m.challenge, "static-secret");
  EXPECT_EQ(X509_cmp(m.signer.get(), client_.get()), 0);
}

TEST_F(PkiMessageTest, OaepIsDetected) {
  sc::MessageSpec spec;
  spec.transport = sc::KeyTransport::kOaep;
  PkiMessage m;
  ASSERT_EQ(Decode(Message(spec), &m).status, DecodeStatus::kOk);
  EXPECT_TRUE(m.oaep);
}

TEST_F(PkiMessageTest, WeakAlgorithmsRefusedOnlyWhenAsked) {
  sc::MessageSpec spec;
  spec.cipher = EVP_des_ede3_cbc();
  spec.digest = EVP_sha1();
  PkiMessage m;
  EXPECT_EQ(Decode(Message(spec), &m).status, DecodeStatus::kOk);
  DecodeResult r = Decode(Message(spec), &m, WeakAlgorithms::kRefuse);
  EXPECT_EQ(r.status, DecodeStatus::kRefused);
  EXPECT_EQ(r.fail_info, FailInfo::kBadAlg);
}

TEST_F(PkiMessageTest, EnvelopeForSomeoneElseIsBadMessageCheck) {
  openssl::EvpPkeyPtr other_key = sc::RsaKey();
  openssl::X509Ptr other = sc::SelfSigned(other_key.get(), sc::SignerStyle::kSelfSignedSha256, "x");
  std::string msg =
      sc::Request(sc::CsrDer(csr_.get()), other.get(), client_.get(), client_key_.get(), {});
  PkiMessage m;
  DecodeResult r = Decode(msg, &m);
  EXPECT_EQ(r.status, DecodeStatus::kRefused);
  EXPECT_EQ(r.fail_info, FailInfo::kBadMessageCheck);
  EXPECT_EQ(m.transaction_id, "tid-0001");  // still answerable
}

// The signer certificate is read apart from the message (DetachCertificates)
// when the message is DER; other encodings and key types take OpenSSL's own
// path. Each decodes to the same thing.
TEST_F(PkiMessageTest, BerMessageEcSignerAndExtraCertificatesDecodeAlike) {
  std::string der = Message();
  // BER: the outer SEQUENCE with an indefinite length.
  size_t header = 2 + (static_cast<unsigned char>(der[1]) & 0x7f);
  std::string ber = std::string("\x30\x80", 2) + der.substr(header) + std::string(2, '\0');
  PkiMessage m;
  DecodeResult r = Decode(ber, &m);
  ASSERT_EQ(r.status, DecodeStatus::kOk) << r.reason;
  EXPECT_EQ(X509_cmp(m.signer.get(), client_.get()), 0);
  EXPECT_EQ(m.challenge, "static-secret");

  // A signer whose key is not RSA.
  openssl::EvpPkeyPtr ec(EVP_EC_gen("P-256"));
  openssl::X509Ptr ec_signer = sc::SelfSigned(ec.get(), sc::SignerStyle::kSelfSignedSha256, "ec");
  std::string from_ec =
      sc::Request(sc::CsrDer(csr_.get()), ra_.get(), ec_signer.get(), ec.get(), {});
  r = Decode(from_ec, &m);
  ASSERT_EQ(r.status, DecodeStatus::kOk) << r.reason;
  EXPECT_EQ(X509_cmp(m.signer.get(), ec_signer.get()), 0);
  EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(m.signer.get()), ec.get()), 1);

  // More certificates than the signer's: the SignerInfo still finds its own.
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  openssl::CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  ASSERT_TRUE(cms);
  ASSERT_EQ(CMS_add1_cert(cms.get(), ra_.get()), 1);
  r = Decode(sc::CmsDer(cms.get()), &m);
  ASSERT_EQ(r.status, DecodeStatus::kOk) << r.reason;
  EXPECT_EQ(X509_cmp(m.signer.get(), client_.get()), 0);
  EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(m.signer.get()), client_key_.get()), 1);
  EXPECT_EQ(EVP_PKEY_eq(m.csr_key.get(), client_key_.get()), 1);
}

TEST_F(PkiMessageTest, TamperedSignedAttributesFailTheSignatureCheck) {
  sc::MessageSpec spec;
  spec.transaction_id = "tid-AAAA";
  std::string der = Message(spec);
  size_t at = der.find("tid-AAAA");
  ASSERT_NE(at, std::string::npos);
  der[at + 4] = 'B';
  PkiMessage m;
  DecodeResult r = Decode(der, &m);
  EXPECT_EQ(r.status, DecodeStatus::kRefused);
  EXPECT_EQ(r.fail_info, FailInfo::kBadMessageCheck) << r.reason;
}

TEST_F(PkiMessageTest, TruncationsNeverCrash) {
  std::string good = Message();
  for (size_t len = 0; len < good.size(); len += 7) {
    PkiMessage m;
    DecodeResult r = Decode(good.substr(0, len), &m);
    EXPECT_NE(r.status, DecodeStatus::kOk) << len;
  }
}

TEST_F(PkiMessageTest, CertRepRoundTrip) {
  PkiMessage m;
  ASSERT_EQ(Decode(Message(), &m).status, DecodeStatus::kOk);
  CertRepSigner signer{ra_.get(), ra_key_.get(), {}};
  CertRepParams p;
  p.status = PkiStatus::kSuccess;
  p.transaction_id = m.transaction_id;
  p.recipient_nonce = m.sender_nonce;
  p.digest_nid = NID_sha512;
  p.cipher_nid = NID_aes_256_cbc;
  p.recipient = m.signer.get();
  p.certs = {client_.get()};
  Result<std::string> der = BuildCertRep(signer, p);
  ASSERT_TRUE(der) << der.error();
  sc::Reply reply = sc::OpenReply(*der, ra_.get(), client_.get(), client_key_.get());
  EXPECT_TRUE(reply.signature_ok);
  EXPECT_EQ(reply.pki_status, "0");
  EXPECT_EQ(reply.digest_nid, NID_sha512);
  EXPECT_EQ(reply.cipher_nid, NID_aes_256_cbc);
  EXPECT_EQ(reply.recipient_nonce, m.sender_nonce);
  ASSERT_EQ(reply.certs.size(), 1u);

  p.cipher_nid = NID_des_cbc;  // never answered with single DES
  der = BuildCertRep(signer, p);
  ASSERT_TRUE(der);
  EXPECT_EQ(sc::OpenReply(*der, ra_.get(), client_.get(), client_key_.get()).cipher_nid,
            NID_des_ede3_cbc);
}

TEST(GetMessageTest, AcceptsClientEncodings) {
  std::string bytes = "\x30\x82\x01\x00 binary \xff\xfe payload";
  std::string b64 = Base64Encode(bytes);
  EXPECT_EQ(DecodeGetMessage(b64).value(), bytes);
  std::string broken;
  for (size_t i = 0; i < b64.size(); ++i) {
    if (i % 10 == 0) broken += "\r\n";
    broken += b64[i];
  }
  EXPECT_EQ(DecodeGetMessage(broken).value(), bytes);
  std::string unpadded = b64;
  while (!unpadded.empty() && unpadded.back() == '=') unpadded.pop_back();
  EXPECT_EQ(DecodeGetMessage(unpadded).value(), bytes);
  std::string spaces = b64;
  for (char& c : spaces) c = c == '+' ? ' ' : c;
  EXPECT_EQ(DecodeGetMessage(spaces).value(), bytes);
  EXPECT_FALSE(DecodeGetMessage("AAAA!").has_value());
  EXPECT_FALSE(DecodeGetMessage("A").has_value());
  EXPECT_FALSE(DecodeGetMessage("AA==AA").has_value());
  EXPECT_FALSE(DecodeGetMessage("").has_value());
}

TEST(EnvelopeInfoTest, RejectsNonEnvelopes) {
  EnvelopeInfo info;
  EXPECT_FALSE(ReadEnvelopeInfo(der::Bytes(), &info));
  std::string seq("\x30\x03\x02\x01\x01", 5);
  EXPECT_FALSE(ReadEnvelopeInfo(BytesOf(seq), &info));
}

TEST(EnvelopeInfoTest, DerAndBerReadAlike) {
  openssl::EvpPkeyPtr key = sc::RsaKey();
  openssl::X509Ptr ra = sc::SelfSigned(key.get(), sc::SignerStyle::kSelfSignedSha256, "RA");
  sc::MessageSpec spec;
  spec.cipher = EVP_aes_256_cbc();
  spec.transport = sc::KeyTransport::kOaep;
  std::string der = sc::Envelope("content", ra.get(), spec);
  size_t header = 2 + (static_cast<unsigned char>(der[1]) & 0x7f);
  std::string ber = std::string("\x30\x80", 2) + der.substr(header) + std::string(2, '\0');
  for (const std::string& encoding : {der, ber}) {
    EnvelopeInfo info;
    ASSERT_TRUE(ReadEnvelopeInfo(BytesOf(encoding), &info)) << encoding.size();
    EXPECT_EQ(info.cipher_nid, NID_aes_256_cbc);
    EXPECT_TRUE(info.oaep);
  }
}

TEST(CapsTest, Text) {
  EXPECT_EQ(CapsText(LegacyClients::kOff, false),
            "POSTPKIOperation\nSHA-256\nSHA-512\nAES\nSCEPStandard\nRenewal\n");
  EXPECT_NE(CapsText(LegacyClients::kOn, true).find("GetNextCACert\n"), std::string::npos);
}

}  // namespace
}  // namespace keyward::scep
