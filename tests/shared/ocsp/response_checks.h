#pragma once
// Checks shared by the ResponseSigner tests: parse a response and verify it
// with OpenSSL's own code (OCSP_basic_verify, OCSP_resp_find_status), build
// CertIDs independently with OCSP_cert_id_new, and a fixture with a test CA
// and one leaf.
#include <gtest/gtest.h>

#include <ctime>
#include <string>
#include <vector>

#include "shared/ocsp/response_signer.h"
#include "tests/support/test_pki.h"

namespace keyward::ocsp::check {

using Bytes = std::vector<uint8_t>;

// Real time: OCSP_basic_verify and `openssl ocsp` check validity against the
// clock, so the responses must be current.
inline const int64_t kNow = static_cast<int64_t>(std::time(nullptr));
inline constexpr int64_t kValidity = 7200;
inline constexpr int64_t kBackdate = 90;
inline const Validity kWindow{kNow, kValidity, kBackdate};

struct Parsed {
  openssl::OcspResponsePtr resp;
  openssl::OcspBasicRespPtr bs;
};

inline Parsed Parse(const std::string& der) {
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
inline bool VerifiedByCa(OCSP_BASICRESP* bs, X509* ca) {
  openssl::X509StorePtr store(X509_STORE_new());
  if (!store || X509_STORE_add_cert(store.get(), ca) != 1) return false;
  int rc = OCSP_basic_verify(bs, nullptr, store.get(), 0);
  if (rc != 1) ADD_FAILURE() << "OCSP_basic_verify: " << openssl::DrainErrors();
  return rc == 1;
}

inline openssl::OcspCertIdPtr IdFor(X509* ca, X509* leaf, const EVP_MD* md) {
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
inline Found FindStatus(OCSP_BASICRESP* bs, OCSP_CERTID* id) {
  Found f;
  if (OCSP_resp_find_status(bs, id, &f.status, &f.reason, &f.revoked, &f.this_update,
                            &f.next_update) != 1) {
    f.status = -10;
  }
  return f;
}

inline Bytes Der(OCSP_CERTID* id) {
  int len = i2d_OCSP_CERTID(id, nullptr);
  Bytes out(static_cast<size_t>(len));
  unsigned char* p = out.data();
  i2d_OCSP_CERTID(id, &p);
  return out;
}

inline Bytes ExtensionValue(const X509_EXTENSION* ext) {
  const ASN1_OCTET_STRING* v = X509_EXTENSION_get_data(const_cast<X509_EXTENSION*>(ext));
  return Bytes(v->data, v->data + v->length);
}

inline const ASN1_OBJECT* ExtendedRevokeOid() {
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

}  // namespace keyward::ocsp::check
