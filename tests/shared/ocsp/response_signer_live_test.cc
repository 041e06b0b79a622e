#include "shared/ocsp/response_signer.h"

#include <gtest/gtest.h>

#include <span>
#include <string>
#include <thread>
#include <vector>

#include "tests/shared/ocsp/response_checks.h"

namespace keyward::ocsp {
namespace {

using namespace check;  // NOLINT(google-build-using-namespace): test helpers

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

}  // namespace
}  // namespace keyward::ocsp
