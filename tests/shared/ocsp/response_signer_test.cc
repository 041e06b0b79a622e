#include "shared/ocsp/response_signer.h"

#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/wait.h>

#include <fstream>
#include <string>
#include <vector>

#include "tests/shared/ocsp/response_checks.h"

namespace keyward::ocsp {
namespace {

using namespace check;  // NOLINT(google-build-using-namespace): test helpers

TEST_F(ResponseSignerTest, PrecomputedGoodForSha1AndSha256) {
  ResponseSigner signer(pki_.ca());
  for (HashAlg alg : {HashAlg::kSha1, HashAlg::kSha256}) {
    Result<store::StoredResponse> r = signer.SignPrecomputed(leaf_.record, alg, kWindow);
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->status, CertStatus::kGood);
    EXPECT_EQ(r->reason, RevocationReason::kNone);
    EXPECT_EQ(r->revoked_at, 0);
    EXPECT_EQ(r->this_update, kNow - kBackdate);
    EXPECT_EQ(r->next_update, kNow + kValidity);
    Parsed p = Parse(r->der);
    ASSERT_TRUE(p.bs);
    EXPECT_TRUE(VerifiedByCa(p.bs.get(), ca()));
    EXPECT_EQ(OCSP_resp_count(p.bs.get()), 1);

    openssl::OcspCertIdPtr sha1 = IdFor(ca(), leaf_.cert.get(), EVP_sha1());
    openssl::OcspCertIdPtr sha256 = IdFor(ca(), leaf_.cert.get(), EVP_sha256());
    OCSP_CERTID* mine = alg == HashAlg::kSha1 ? sha1.get() : sha256.get();
    OCSP_CERTID* other = alg == HashAlg::kSha1 ? sha256.get() : sha1.get();
    Found f = FindStatus(p.bs.get(), mine);
    EXPECT_EQ(f.status, V_OCSP_CERTSTATUS_GOOD);
    EXPECT_EQ(ASN1_TIME_cmp_time_t(f.this_update, kNow - kBackdate), 0);
    EXPECT_EQ(ASN1_TIME_cmp_time_t(f.next_update, kNow + kValidity), 0);
    EXPECT_EQ(OCSP_check_validity(f.this_update, f.next_update, 300, -1), 1);
    EXPECT_EQ(FindStatus(p.bs.get(), other).status, -10);  // each variant has its own hash
    EXPECT_EQ(ASN1_TIME_cmp_time_t(OCSP_resp_get0_produced_at(p.bs.get()), kNow), 0);
  }
}

TEST_F(ResponseSignerTest, ResponderIdByKeyAndSignerCertIncluded) {
  ResponseSigner signer(pki_.ca());
  Result<store::StoredResponse> r = signer.SignPrecomputed(leaf_.record, HashAlg::kSha1, kWindow);
  ASSERT_TRUE(r) << r.error();
  Parsed p = Parse(r->der);
  ASSERT_TRUE(p.bs);
  const ASN1_OCTET_STRING* key_id = nullptr;
  const X509_NAME* name = nullptr;
  ASSERT_EQ(OCSP_resp_get0_id(p.bs.get(), &key_id, &name), 1);
  EXPECT_EQ(name, nullptr);
  ASSERT_NE(key_id, nullptr);
  unsigned char sha1[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  ASSERT_EQ(X509_pubkey_digest(pki_.ca().signer_cert.get(), EVP_sha1(), sha1, &len), 1);
  EXPECT_EQ(Bytes(key_id->data, key_id->data + key_id->length), Bytes(sha1, sha1 + len));

  const STACK_OF(X509)* certs = OCSP_resp_get0_certs(p.bs.get());
  ASSERT_EQ(sk_X509_num(certs), 1);
  EXPECT_EQ(X509_cmp(sk_X509_value(certs, 0), pki_.ca().signer_cert.get()), 0);
  X509* found = nullptr;
  ASSERT_EQ(OCSP_resp_get0_signer(p.bs.get(), &found, nullptr), 1);
  EXPECT_EQ(X509_cmp(found, pki_.ca().signer_cert.get()), 0);
  EXPECT_EQ(OBJ_obj2nid(OCSP_resp_get0_tbs_sigalg(p.bs.get())->algorithm), NID_ecdsa_with_SHA256);
}

TEST_F(ResponseSignerTest, PrecomputedRevokedAndUnknown) {
  ResponseSigner signer(pki_.ca());
  openssl::OcspCertIdPtr id = IdFor(ca(), leaf_.cert.get(), EVP_sha1());
  store::CertRecord revoked = leaf_.record;
  revoked.status = CertStatus::kRevoked;
  revoked.reason = RevocationReason::kKeyCompromise;
  revoked.revoked_at = kNow - 3600;
  Result<store::StoredResponse> r = signer.SignPrecomputed(revoked, HashAlg::kSha1, kWindow);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->status, CertStatus::kRevoked);
  EXPECT_EQ(r->reason, RevocationReason::kKeyCompromise);
  EXPECT_EQ(r->revoked_at, kNow - 3600);
  Parsed p = Parse(r->der);
  ASSERT_TRUE(p.bs);
  EXPECT_TRUE(VerifiedByCa(p.bs.get(), ca()));
  Found f = FindStatus(p.bs.get(), id.get());
  EXPECT_EQ(f.status, V_OCSP_CERTSTATUS_REVOKED);
  EXPECT_EQ(f.reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
  EXPECT_EQ(ASN1_TIME_cmp_time_t(f.revoked, kNow - 3600), 0);

  // No reason stated: revokedInfo has no revocationReason at all.
  revoked.reason = RevocationReason::kNone;
  r = signer.SignPrecomputed(revoked, HashAlg::kSha1, kWindow);
  ASSERT_TRUE(r) << r.error();
  p = Parse(r->der);
  ASSERT_TRUE(p.bs);
  f = FindStatus(p.bs.get(), id.get());
  EXPECT_EQ(f.status, V_OCSP_CERTSTATUS_REVOKED);
  EXPECT_EQ(f.reason, OCSP_REVOKED_STATUS_NOSTATUS);

  store::CertRecord unknown = leaf_.record;
  unknown.status = CertStatus::kUnknown;
  r = signer.SignPrecomputed(unknown, HashAlg::kSha256, kWindow);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->status, CertStatus::kUnknown);
  p = Parse(r->der);
  ASSERT_TRUE(p.bs);
  openssl::OcspCertIdPtr id256 = IdFor(ca(), leaf_.cert.get(), EVP_sha256());
  EXPECT_EQ(FindStatus(p.bs.get(), id256.get()).status, V_OCSP_CERTSTATUS_UNKNOWN);
}

TEST_F(ResponseSignerTest, PrecomputedRejectsBadSerial) {
  ResponseSigner signer(pki_.ca());
  store::CertRecord bad = leaf_.record;
  for (std::string serial :
       {std::string(), std::string("XYZ"), std::string("-01"), std::string(80, 'A')}) {
    bad.serial_hex = serial;
    EXPECT_FALSE(signer.SignPrecomputed(bad, HashAlg::kSha1, kWindow)) << serial;
  }
}

// LiveRequest: a real OCSP request as a client would build it, and the
// Signature digests by signer key type, and a CA that signs for itself.
struct SignerCase {
  const char* name;
  const char* ca_key;
  const char* signer_key;
  bool delegated;
  int sig_nid;
};

class SignerKindTest : public ::testing::TestWithParam<SignerCase> {};

TEST_P(SignerKindTest, VerifiesWithTheRightDigest) {
  test::TestPki::Options options;
  options.key_type = GetParam().ca_key;
  options.signer_key_type = GetParam().signer_key;
  options.delegated_signer = GetParam().delegated;
  options.ra = false;
  test::TestPki pki(options);
  ASSERT_TRUE(pki.Create());
  Result<test::TestPki::Leaf> leaf = pki.IssueLeaf("leaf");
  ASSERT_TRUE(leaf) << leaf.error();
  ResponseSigner signer(pki.ca());
  Result<store::StoredResponse> r = signer.SignPrecomputed(leaf->record, HashAlg::kSha1, kWindow);
  ASSERT_TRUE(r) << r.error();
  Parsed p = Parse(r->der);
  ASSERT_TRUE(p.bs);
  EXPECT_TRUE(VerifiedByCa(p.bs.get(), pki.ca().cert.get()));
  EXPECT_EQ(OBJ_obj2nid(OCSP_resp_get0_tbs_sigalg(p.bs.get())->algorithm), GetParam().sig_nid);
  openssl::OcspCertIdPtr id = IdFor(pki.ca().cert.get(), leaf->cert.get(), EVP_sha1());
  EXPECT_EQ(FindStatus(p.bs.get(), id.get()).status, V_OCSP_CERTSTATUS_GOOD);
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, SignerKindTest,
    ::testing::Values(
        SignerCase{"EcCaEcSigner", "ec-p256", "ec-p256", true, NID_ecdsa_with_SHA256},
        SignerCase{"RsaCaEcSigner", "rsa-2048", "ec-p256", true, NID_ecdsa_with_SHA256},
        SignerCase{"EcCaP384Signer", "ec-p256", "ec-p384", true, NID_ecdsa_with_SHA384},
        SignerCase{"EcCaRsaSigner", "ec-p256", "rsa-2048", true, NID_sha256WithRSAEncryption},
        SignerCase{"RsaCaSelf", "rsa-2048", "ec-p256", false, NID_sha256WithRSAEncryption},
        SignerCase{"EcCaSelf", "ec-p256", "ec-p256", false, NID_ecdsa_with_SHA256}),
    [](const ::testing::TestParamInfo<SignerCase>& info) { return std::string(info.param.name); });

TEST(ErrorResponseTest, ConstantBytesPerStatus) {
  struct Case {
    ResponseStatus status;
    int openssl_status;
  };
  for (Case c : {Case{ResponseStatus::kMalformedRequest, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST},
                 Case{ResponseStatus::kInternalError, OCSP_RESPONSE_STATUS_INTERNALERROR},
                 Case{ResponseStatus::kTryLater, OCSP_RESPONSE_STATUS_TRYLATER},
                 Case{ResponseStatus::kSigRequired, OCSP_RESPONSE_STATUS_SIGREQUIRED},
                 Case{ResponseStatus::kUnauthorized, OCSP_RESPONSE_STATUS_UNAUTHORIZED}}) {
    der::Bytes bytes = ErrorResponse(c.status);
    EXPECT_EQ(Bytes(bytes.begin(), bytes.end()),
              (Bytes{0x30, 0x03, 0x0A, 0x01, static_cast<uint8_t>(c.openssl_status)}));
    EXPECT_EQ(ErrorResponse(c.status).data(), bytes.data());  // the same static bytes
    const unsigned char* in = bytes.data();
    openssl::OcspResponsePtr resp(d2i_OCSP_RESPONSE(nullptr, &in, static_cast<long>(bytes.size())));
    ASSERT_TRUE(resp);
    EXPECT_EQ(OCSP_response_status(resp.get()), c.openssl_status);
  }
}

// RunCommand runs `command` through the shell and returns what it printed
// (stdout and stderr) and its exit status.
std::string RunCommand(const std::string& command, int* exit_status) {
  std::string out;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return "popen failed";
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  int rc = pclose(pipe);
  *exit_status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return out;
}

TEST_F(ResponseSignerTest, OpenSslOcspVerifiesPrecomputedResponses) {
  ResponseSigner signer(pki_.ca());
  store::CertRecord revoked = leaf_.record;
  revoked.status = CertStatus::kRevoked;
  revoked.reason = RevocationReason::kKeyCompromise;
  revoked.revoked_at = kNow - 600;
  struct Case {
    const store::CertRecord* record;
    HashAlg alg;
    const char* digest_flag;
    const char* want_status;
  };
  for (Case c : {Case{&leaf_.record, HashAlg::kSha1, "", ": good"},
                 Case{&leaf_.record, HashAlg::kSha256, "-sha256", ": good"},
                 Case{&revoked, HashAlg::kSha1, "", ": revoked"}}) {
    Result<store::StoredResponse> r = signer.SignPrecomputed(*c.record, c.alg, kWindow);
    ASSERT_TRUE(r) << r.error();
    std::string path = pki_.Path("resp.der");
    std::ofstream(path, std::ios::binary | std::ios::trunc) << r->der;
    int status = -1;
    std::string out = RunCommand("openssl ocsp -respin " + path + " -CAfile " +
                                     pki_.ca_cert_path() + " -issuer " + pki_.ca_cert_path() + " " +
                                     c.digest_flag + " -cert " + leaf_.cert_path + " -resp_text",
                                 &status);
    EXPECT_EQ(status, 0) << out;
    EXPECT_NE(out.find("Response verify OK"), std::string::npos) << out;
    EXPECT_NE(out.find(leaf_.cert_path + c.want_status), std::string::npos) << out;
    EXPECT_NE(out.find("Responder Id: "), std::string::npos) << out;
    if (c.record == &revoked) {
      EXPECT_NE(out.find("Reason: keyCompromise"), std::string::npos) << out;
    }
  }
}

}  // namespace
}  // namespace keyward::ocsp
