#include "shared/ocsp/response_signer.h"

#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/wait.h>

#include <ctime>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/test_pki.h"

namespace keyward::ocsp {
namespace {

using Bytes = std::vector<uint8_t>;

// Real time: OCSP_basic_verify and `openssl ocsp` check validity against the
// clock, so the responses must be current.
const int64_t kNow = static_cast<int64_t>(std::time(nullptr));
constexpr int64_t kValidity = 7200;
constexpr int64_t kBackdate = 90;
const Validity kWindow{kNow, kValidity, kBackdate};

struct Parsed {
  openssl::OcspResponsePtr resp;
  openssl::OcspBasicRespPtr bs;
};

Parsed Parse(const std::string& der) {
  Parsed p;
  const auto* in = reinterpret_cast<const unsigned char*>(der.data());
  p.resp.reset(d2i_OCSP_RESPONSE(nullptr, &in, static_cast<long>(der.size())));
  EXPECT_TRUE(p.resp) << "response does not parse";
  if (!p.resp) return p;
  EXPECT_EQ(in, reinterpret_cast<const unsigned char*>(der.data()) + der.size());
  EXPECT_EQ(OCSP_response_status(p.resp.get()), OCSP_RESPONSE_STATUS_SUCCESSFUL);
  p.bs.reset(OCSP_response_get1_basic(p.resp.get()));
  EXPECT_TRUE(p.bs);
  return p;
}

// VerifiedByCa: OpenSSL's own check, the CA as the only trust anchor. For a
// delegated signer this includes issuance by the CA and id-kp-OCSPSigning.
bool VerifiedByCa(OCSP_BASICRESP* bs, X509* ca) {
  openssl::X509StorePtr store(X509_STORE_new());
  if (!store || X509_STORE_add_cert(store.get(), ca) != 1) return false;
  int rc = OCSP_basic_verify(bs, nullptr, store.get(), 0);
  if (rc != 1) ADD_FAILURE() << "OCSP_basic_verify: " << openssl::DrainErrors();
  return rc == 1;
}

openssl::OcspCertIdPtr IdFor(X509* ca, X509* leaf, const EVP_MD* md) {
  return openssl::OcspCertIdPtr(OCSP_cert_id_new(
      md, X509_get_subject_name(ca), X509_get0_pubkey_bitstr(ca), X509_get0_serialNumber(leaf)));
}

struct Found {
  int status = -10, reason = -10;
  ASN1_GENERALIZEDTIME* revoked = nullptr;
  ASN1_GENERALIZEDTIME* this_update = nullptr;
  ASN1_GENERALIZEDTIME* next_update = nullptr;
};

// FindStatus: OCSP_resp_find_status for `id`; status -10 when not found.
Found FindStatus(OCSP_BASICRESP* bs, OCSP_CERTID* id) {
  Found f;
  if (OCSP_resp_find_status(bs, id, &f.status, &f.reason, &f.revoked, &f.this_update,
                            &f.next_update) != 1) {
    f.status = -10;
  }
  return f;
}

Bytes Der(OCSP_CERTID* id) {
  int len = i2d_OCSP_CERTID(id, nullptr);
  Bytes out(static_cast<size_t>(len));
  unsigned char* p = out.data();
  i2d_OCSP_CERTID(id, &p);
  return out;
}

Bytes ExtensionValue(const X509_EXTENSION* ext) {
  const ASN1_OCTET_STRING* v = X509_EXTENSION_get_data(const_cast<X509_EXTENSION*>(ext));
  return Bytes(v->data, v->data + v->length);
}

const ASN1_OBJECT* ExtendedRevokeOid() {
  static ASN1_OBJECT* oid = OBJ_txt2obj("1.3.6.1.5.5.7.48.1.9", 1);
  return oid;
}

class ResponseSignerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pki_.Create());
    Result<test::TestPki::Leaf> leaf = pki_.IssueLeaf("leaf");
    ASSERT_TRUE(leaf) << leaf.error();
    leaf_ = std::move(*leaf);
  }
  X509* ca() { return pki_.ca().cert.get(); }

  test::TestPki pki_;
  test::TestPki::Leaf leaf_;
};

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
// pieces of it a parsed request hands to SignLive.
struct LiveRequest {
  openssl::OcspRequestPtr req{OCSP_REQUEST_new()};
  std::vector<Bytes> cert_ids;
  Bytes nonce;

  void Add(openssl::OcspCertIdPtr id) {
    cert_ids.push_back(Der(id.get()));
    ASSERT_NE(OCSP_request_add0_id(req.get(), id.get()), nullptr);
    id.release();  // owned by the request
  }
  void AddNonce() {
    ASSERT_EQ(OCSP_request_add1_nonce(req.get(), nullptr, 16), 1);
    int index = OCSP_REQUEST_get_ext_by_NID(req.get(), NID_id_pkix_OCSP_Nonce, -1);
    ASSERT_GE(index, 0);
    nonce = ExtensionValue(OCSP_REQUEST_get_ext(req.get(), index));
  }
  LiveItem Item(size_t i, CertStatus status) const {
    LiveItem item;
    item.cert_id_der = cert_ids[i];
    item.status = status;
    return item;
  }
};

TEST_F(ResponseSignerTest, LiveEchoesCertIdsInOrderAndTheNonce) {
  Result<test::TestPki::Leaf> second = pki_.IssueLeaf("second");
  Result<test::TestPki::Leaf> third = pki_.IssueLeaf("third");
  ASSERT_TRUE(second && third);
  LiveRequest lr;
  lr.Add(IdFor(ca(), leaf_.cert.get(), EVP_sha1()));
  lr.Add(IdFor(ca(), second->cert.get(), EVP_sha256()));
  lr.Add(IdFor(ca(), third->cert.get(), EVP_sha384()));
  lr.AddNonce();
  std::vector<LiveItem> items = {lr.Item(0, CertStatus::kGood), lr.Item(1, CertStatus::kRevoked),
                                 lr.Item(2, CertStatus::kUnknown)};
  items[1].reason = RevocationReason::kSuperseded;
  items[1].revoked_at = kNow - 60;

  ResponseSigner signer(pki_.ca());
  Result<std::string> der = signer.SignLive(items, lr.nonce, kWindow);
  ASSERT_TRUE(der) << der.error();
  Parsed p = Parse(*der);
  ASSERT_TRUE(p.bs);
  EXPECT_TRUE(VerifiedByCa(p.bs.get(), ca()));
  EXPECT_EQ(OCSP_check_nonce(lr.req.get(), p.bs.get()), 1);
  ASSERT_EQ(OCSP_resp_count(p.bs.get()), 3);
  for (int i = 0; i < 3; ++i) {
    const OCSP_CERTID* echoed = OCSP_SINGLERESP_get0_id(OCSP_resp_get0(p.bs.get(), i));
    EXPECT_EQ(Der(const_cast<OCSP_CERTID*>(echoed)), lr.cert_ids[static_cast<size_t>(i)]) << i;
  }
  // Independently built CertIDs find each answer.
  openssl::OcspCertIdPtr id0 = IdFor(ca(), leaf_.cert.get(), EVP_sha1());
  openssl::OcspCertIdPtr id1 = IdFor(ca(), second->cert.get(), EVP_sha256());
  openssl::OcspCertIdPtr id2 = IdFor(ca(), third->cert.get(), EVP_sha384());
  Found f0 = FindStatus(p.bs.get(), id0.get());
  Found f1 = FindStatus(p.bs.get(), id1.get());
  Found f2 = FindStatus(p.bs.get(), id2.get());
  EXPECT_EQ(f0.status, V_OCSP_CERTSTATUS_GOOD);
  EXPECT_EQ(f1.status, V_OCSP_CERTSTATUS_REVOKED);
  EXPECT_EQ(f1.reason, OCSP_REVOKED_STATUS_SUPERSEDED);
  EXPECT_EQ(ASN1_TIME_cmp_time_t(f1.revoked, kNow - 60), 0);
  EXPECT_EQ(f2.status, V_OCSP_CERTSTATUS_UNKNOWN);
  EXPECT_EQ(ASN1_TIME_cmp_time_t(f2.this_update, kNow - kBackdate), 0);
  EXPECT_EQ(ASN1_TIME_cmp_time_t(f2.next_update, kNow + kValidity), 0);
  EXPECT_LT(OCSP_BASICRESP_get_ext_by_OBJ(p.bs.get(), ExtendedRevokeOid(), -1), 0);

  // The nonce extension is non-critical and carries the request's value.
  int index = OCSP_BASICRESP_get_ext_by_NID(p.bs.get(), NID_id_pkix_OCSP_Nonce, -1);
  ASSERT_GE(index, 0);
  X509_EXTENSION* nonce = OCSP_BASICRESP_get_ext(p.bs.get(), index);
  EXPECT_EQ(X509_EXTENSION_get_critical(nonce), 0);
  EXPECT_EQ(ExtensionValue(nonce), lr.nonce);
}

TEST_F(ResponseSignerTest, LiveNonceBytesAreNotRewrapped) {
  LiveRequest lr;
  lr.Add(IdFor(ca(), leaf_.cert.get(), EVP_sha1()));
  // Some clients put the raw nonce in extnValue, not an OCTET STRING.
  const Bytes raw = {0xDE, 0xAD, 0xBE, 0xEF, 0x01};
  ResponseSigner signer(pki_.ca());
  std::vector<LiveItem> items = {lr.Item(0, CertStatus::kGood)};
  Result<std::string> der = signer.SignLive(items, raw, kWindow);
  ASSERT_TRUE(der) << der.error();
  Parsed p = Parse(*der);
  ASSERT_TRUE(p.bs);
  int index = OCSP_BASICRESP_get_ext_by_NID(p.bs.get(), NID_id_pkix_OCSP_Nonce, -1);
  ASSERT_GE(index, 0);
  EXPECT_EQ(ExtensionValue(OCSP_BASICRESP_get_ext(p.bs.get(), index)), raw);

  // Without a nonce there is no nonce extension; OCSP_check_nonce reports
  // "absent in both" for a request without one.
  der = signer.SignLive(items, {}, kWindow);
  ASSERT_TRUE(der) << der.error();
  p = Parse(*der);
  ASSERT_TRUE(p.bs);
  EXPECT_EQ(OCSP_BASICRESP_get_ext_count(p.bs.get()), 0);
  EXPECT_EQ(OCSP_check_nonce(lr.req.get(), p.bs.get()), 2);
  EXPECT_TRUE(VerifiedByCa(p.bs.get(), ca()));
}

TEST_F(ResponseSignerTest, LiveExtendedRevoked) {
  // A serial this CA never issued.
  openssl::Asn1IntegerPtr never(ASN1_INTEGER_new());
  ASSERT_EQ(ASN1_INTEGER_set(never.get(), 0x7777), 1);
  openssl::OcspCertIdPtr id(OCSP_cert_id_new(EVP_sha256(), X509_get_subject_name(ca()),
                                             X509_get0_pubkey_bitstr(ca()), never.get()));
  LiveRequest lr;
  lr.Add(IdFor(ca(), leaf_.cert.get(), EVP_sha1()));
  lr.Add(openssl::OcspCertIdPtr(OCSP_CERTID_dup(id.get())));
  lr.AddNonce();
  std::vector<LiveItem> items = {lr.Item(0, CertStatus::kGood), lr.Item(1, CertStatus::kUnknown)};
  items[1].extended_revoked = true;

  ResponseSigner signer(pki_.ca());
  Result<std::string> der = signer.SignLive(items, lr.nonce, kWindow);
  ASSERT_TRUE(der) << der.error();
  Parsed p = Parse(*der);
  ASSERT_TRUE(p.bs);
  EXPECT_TRUE(VerifiedByCa(p.bs.get(), ca()));
  EXPECT_EQ(OCSP_check_nonce(lr.req.get(), p.bs.get()), 1);
  Found f = FindStatus(p.bs.get(), id.get());
  EXPECT_EQ(f.status, V_OCSP_CERTSTATUS_REVOKED);
  EXPECT_EQ(f.reason, OCSP_REVOKED_STATUS_CERTIFICATEHOLD);
  ASSERT_NE(f.revoked, nullptr);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(f.revoked->data),
                        static_cast<size_t>(f.revoked->length)),
            "19700101000000Z");
  EXPECT_EQ(ASN1_TIME_cmp_time_t(f.revoked, 0), 0);
  openssl::OcspCertIdPtr good = IdFor(ca(), leaf_.cert.get(), EVP_sha1());
  EXPECT_EQ(FindStatus(p.bs.get(), good.get()).status, V_OCSP_CERTSTATUS_GOOD);

  int index = OCSP_BASICRESP_get_ext_by_OBJ(p.bs.get(), ExtendedRevokeOid(), -1);
  ASSERT_GE(index, 0);
  X509_EXTENSION* ext = OCSP_BASICRESP_get_ext(p.bs.get(), index);
  EXPECT_EQ(X509_EXTENSION_get_critical(ext), 0);
  EXPECT_EQ(ExtensionValue(ext), (Bytes{0x05, 0x00}));                                  // NULL
  EXPECT_LT(OCSP_BASICRESP_get_ext_by_OBJ(p.bs.get(), ExtendedRevokeOid(), index), 0);  // once
}

TEST_F(ResponseSignerTest, LiveRejectsMalformedCertIds) {
  LiveRequest lr;
  lr.Add(IdFor(ca(), leaf_.cert.get(), EVP_sha1()));
  ResponseSigner signer(pki_.ca());
  Bytes truncated(lr.cert_ids[0].begin(), lr.cert_ids[0].end() - 1);
  Bytes trailing = lr.cert_ids[0];
  trailing.push_back(0x00);
  for (const Bytes& bad : {truncated, trailing, Bytes{}, Bytes{0x30, 0x00}}) {
    LiveItem item;
    item.cert_id_der = bad;
    EXPECT_FALSE(signer.SignLive(std::span(&item, 1), {}, kWindow));
  }
  EXPECT_FALSE(signer.SignLive({}, {}, kWindow));
}

TEST_F(ResponseSignerTest, ManyItemsGoPastTheInlineArray) {
  LiveRequest lr;
  std::vector<LiveItem> items;
  for (int i = 0; i < 12; ++i) lr.Add(IdFor(ca(), leaf_.cert.get(), EVP_sha1()));
  for (size_t i = 0; i < 12; ++i) items.push_back(lr.Item(i, CertStatus::kGood));
  Result<std::string> der = ResponseSigner(pki_.ca()).SignLive(items, {}, kWindow);
  ASSERT_TRUE(der) << der.error();
  Parsed p = Parse(*der);
  ASSERT_TRUE(p.bs);
  EXPECT_EQ(OCSP_resp_count(p.bs.get()), 12);
  EXPECT_TRUE(VerifiedByCa(p.bs.get(), ca()));
}

TEST_F(ResponseSignerTest, EncodingIsWhatOpenSslWouldWrite) {
  LiveRequest lr;
  // Enough items that every length in the wrapper takes the long form.
  for (int i = 0; i < 20; ++i) lr.Add(IdFor(ca(), leaf_.cert.get(), EVP_sha256()));
  lr.AddNonce();
  std::vector<LiveItem> items;
  for (size_t i = 0; i < lr.cert_ids.size(); ++i) items.push_back(lr.Item(i, CertStatus::kGood));
  ResponseSigner signer(pki_.ca());
  for (size_t count : {size_t{1}, items.size()}) {
    Result<std::string> der = signer.SignLive(std::span(items.data(), count), lr.nonce, kWindow);
    ASSERT_TRUE(der) << der.error();
    Parsed p = Parse(*der);
    ASSERT_TRUE(p.bs);
    openssl::OcspResponsePtr again(
        OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, p.bs.get()));
    ASSERT_TRUE(again);
    unsigned char* out = nullptr;
    int len = i2d_OCSP_RESPONSE(again.get(), &out);
    ASSERT_GT(len, 0);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(out), static_cast<size_t>(len)), *der) << count;
    OPENSSL_free(out);
  }
}

TEST_F(ResponseSignerTest, OneSignerSharedByThreads) {
  // The responder's signer pool calls one signer from several threads.
  LiveRequest lr;
  lr.Add(IdFor(ca(), leaf_.cert.get(), EVP_sha1()));
  lr.AddNonce();
  std::vector<LiveItem> items = {lr.Item(0, CertStatus::kGood)};
  const ResponseSigner signer(pki_.ca());
  constexpr int kThreads = 4, kEach = 25;
  std::vector<std::vector<std::string>> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        Result<std::string> der = signer.SignLive(items, lr.nonce, kWindow);
        results[static_cast<size_t>(t)].push_back(der ? *der : std::string());
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (const std::vector<std::string>& per_thread : results) {
    ASSERT_EQ(per_thread.size(), static_cast<size_t>(kEach));
    for (const std::string& der : per_thread) {
      ASSERT_FALSE(der.empty());
      Parsed p = Parse(der);
      ASSERT_TRUE(p.bs);
      EXPECT_TRUE(VerifiedByCa(p.bs.get(), ca()));
      EXPECT_EQ(OCSP_check_nonce(lr.req.get(), p.bs.get()), 1);
    }
  }
}

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
