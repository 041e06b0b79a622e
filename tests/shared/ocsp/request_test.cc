#include "shared/ocsp/request.h"

#include <gtest/gtest.h>
#include <openssl/ocsp.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "shared/openssl/ptr.h"

namespace keyward::ocsp {
namespace {

namespace fs = std::filesystem;

const fs::path kCorpus = fs::path(KEYWARD_TEST_DATA) / "ocsp";

std::vector<uint8_t> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// OpenSSL accepts when d2i_OCSP_REQUEST succeeds and consumes every byte
// (d2i itself stops after one object and would ignore trailing bytes).
openssl::OcspRequestPtr OpenSslParse(const std::vector<uint8_t>& der) {
  const unsigned char* p = der.data();
  openssl::OcspRequestPtr req(d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(der.size())));
  openssl::DrainErrors();
  if (req && p != der.data() + der.size()) req.reset();
  return req;
}

struct Good {
  size_t cert_ids;
  HashAlg hash;
  NonceState nonce;
  size_t nonce_len;
  bool signed_request;
  bool live;
};

// Every file in good/: what ParseRequest must report.
const std::map<std::string, Good> kGood = {
    {"sha1.der", {1, HashAlg::kSha1, NonceState::kAbsent, 0, false, false}},
    {"sha1_no_params.der", {1, HashAlg::kSha1, NonceState::kAbsent, 0, false, false}},
    {"sha256.der", {1, HashAlg::kSha256, NonceState::kAbsent, 0, false, false}},
    {"sha384.der", {1, HashAlg::kSha384, NonceState::kAbsent, 0, false, true}},
    {"sha512.der", {1, HashAlg::kSha512, NonceState::kAbsent, 0, false, true}},
    {"with_nonce.der", {1, HashAlg::kSha1, NonceState::kValid, 16, false, true}},
    {"nonce_1_byte.der", {1, HashAlg::kSha1, NonceState::kValid, 1, false, true}},
    {"nonce_32_bytes.der", {1, HashAlg::kSha1, NonceState::kValid, 32, false, true}},
    {"critical_nonce.der", {1, HashAlg::kSha1, NonceState::kValid, 16, false, true}},
    {"two_cert_ids.der", {2, HashAlg::kSha1, NonceState::kAbsent, 0, false, true}},
    {"sixteen_cert_ids.der", {16, HashAlg::kSha1, NonceState::kAbsent, 0, false, true}},
    {"with_requestor_name.der", {1, HashAlg::kSha1, NonceState::kAbsent, 0, false, false}},
    {"signed_request.der", {1, HashAlg::kSha1, NonceState::kValid, 16, true, true}},
    {"version_0.der", {1, HashAlg::kSha1, NonceState::kAbsent, 0, false, false}},
    {"high_bit_serial.der", {1, HashAlg::kSha1, NonceState::kAbsent, 0, false, false}},
    {"serial_20_bytes.der", {1, HashAlg::kSha1, NonceState::kAbsent, 0, false, false}},
    {"negative_serial.der", {1, HashAlg::kSha1, NonceState::kAbsent, 0, false, false}},
    {"noncritical_unknown_extension.der",
     {1, HashAlg::kSha1, NonceState::kAbsent, 0, false, false}},
    // DER omits a FALSE critical flag; an explicit one is accepted, as by OpenSSL.
    {"explicit_false_critical.der", {1, HashAlg::kSha1, NonceState::kAbsent, 0, false, false}},
    {"single_request_extension.der", {1, HashAlg::kSha1, NonceState::kAbsent, 0, false, false}},
};

struct Bad {
  ParseError error;
  // OpenSSL's verdict. Where it accepts, `why` names our deliberate,
  // stricter rule.
  bool openssl_accepts;
  const char* why;
};

const std::map<std::string, Bad> kBad = {
    {"empty.der", {ParseError::kMalformed, false, ""}},
    {"garbage.der", {ParseError::kMalformed, false, ""}},
    {"truncated.der", {ParseError::kMalformed, false, ""}},
    {"trailing_bytes.der", {ParseError::kMalformed, false, ""}},
    {"not_sequence.der", {ParseError::kMalformed, false, ""}},
    {"primitive_sequence.der", {ParseError::kMalformed, false, ""}},
    {"indefinite_length.der", {ParseError::kMalformed, true, "BER indefinite length, not DER"}},
    {"long_form_for_short.der", {ParseError::kMalformed, true, "BER length form, not DER"}},
    {"non_minimal_length.der", {ParseError::kMalformed, true, "BER length form, not DER"}},
    {"length_octets_overflow.der", {ParseError::kMalformed, false, ""}},
    {"length_past_end.der", {ParseError::kMalformed, false, ""}},
    {"high_tag_number.der", {ParseError::kMalformed, false, ""}},
    {"truncated_cert_id.der", {ParseError::kMalformed, false, ""}},
    {"cert_id_extra_field.der", {ParseError::kMalformed, false, ""}},
    {"wrong_hash_length.der",
     {ParseError::kMalformed, true, "a hash of the wrong size can match no issuer"}},
    {"unknown_hash_oid.der", {ParseError::kMalformed, true, "only SHA-1/256/384/512 CertIDs"}},
    {"hash_params_not_null.der",
     {ParseError::kMalformed, true, "SHA parameters are absent or NULL (RFC 5754)"}},
    {"name_hash_wrong_tag.der", {ParseError::kMalformed, false, ""}},
    {"constructed_octet_string.der",
     {ParseError::kMalformed, true, "BER constructed string, not DER"}},
    {"serial_too_long.der", {ParseError::kMalformed, true, "serial over kMaxSerialBytes"}},
    {"serial_non_minimal.der", {ParseError::kMalformed, false, ""}},
    {"serial_empty.der", {ParseError::kMalformed, false, ""}},
    {"zero_cert_ids.der", {ParseError::kNoCertIds, true, "a request must name a certificate"}},
    {"too_many_cert_ids.der",
     {ParseError::kTooManyCertIds, true, "at most kMaxCertIdsPerRequest CertIDs"}},
    {"missing_request_list.der", {ParseError::kMalformed, false, ""}},
    {"single_request_extra_field.der", {ParseError::kMalformed, false, ""}},
    {"tbs_extra_field.der", {ParseError::kMalformed, false, ""}},
    {"fields_out_of_order.der", {ParseError::kMalformed, false, ""}},
    {"version_1.der", {ParseError::kMalformed, true, "only v1 (0) is spoken"}},
    {"version_not_integer.der", {ParseError::kMalformed, false, ""}},
    {"explicit_tag_extra_element.der", {ParseError::kMalformed, false, ""}},
    {"requestor_name_empty.der", {ParseError::kMalformed, false, ""}},
    {"requestor_name_bad_choice.der", {ParseError::kMalformed, false, ""}},
    {"nonce_not_octet_string.der",
     {ParseError::kBadNonce, true, "RFC 8954: the nonce is an OCTET STRING"}},
    {"nonce_empty.der", {ParseError::kBadNonce, true, "RFC 8954: 1..32 octets"}},
    {"nonce_33_bytes.der", {ParseError::kBadNonce, true, "RFC 8954: 1..32 octets"}},
    {"nonce_trailing_bytes.der",
     {ParseError::kBadNonce, true, "RFC 8954: exactly one OCTET STRING"}},
    {"duplicate_nonce.der",
     {ParseError::kBadNonce, true, "RFC 5280 4.2: one instance per extension"}},
    {"critical_unknown_extension.der",
     {ParseError::kMalformed, true, "RFC 5280 4.2: unknown critical extension"}},
    {"critical_unknown_single_extension.der",
     {ParseError::kMalformed, true, "RFC 5280 4.2: unknown critical extension"}},
    {"critical_not_der_boolean.der", {ParseError::kMalformed, true, "DER BOOLEAN is 0x00 or 0xFF"}},
    {"extension_missing_value.der", {ParseError::kMalformed, false, ""}},
    {"extension_oid_non_minimal.der", {ParseError::kMalformed, false, ""}},
    {"extensions_not_sequence.der", {ParseError::kMalformed, false, ""}},
    {"signature_wrong_tag.der", {ParseError::kMalformed, false, ""}},
    {"signature_empty.der", {ParseError::kMalformed, false, ""}},
    {"signature_bad_unused_bits.der", {ParseError::kMalformed, false, ""}},
};

std::vector<std::string> FilesIn(const char* dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(kCorpus / dir)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(RequestCorpusTest, EveryFileHasAnExpectation) {
  for (const std::string& name : FilesIn("good")) {
    EXPECT_TRUE(kGood.count(name)) << "good/" << name << " missing from kGood";
  }
  for (const std::string& name : FilesIn("bad")) {
    EXPECT_TRUE(kBad.count(name)) << "bad/" << name << " missing from kBad";
  }
  EXPECT_EQ(FilesIn("good").size(), kGood.size());
  EXPECT_EQ(FilesIn("bad").size(), kBad.size());
}

TEST(RequestCorpusTest, GoodFilesParse) {
  for (const auto& [name, want] : kGood) {
    SCOPED_TRACE(name);
    std::vector<uint8_t> der = ReadFile(kCorpus / "good" / name);
    Request req;
    ASSERT_EQ(ParseRequest(der, &req), ParseError::kOk);
    EXPECT_EQ(req.cert_id_count, want.cert_ids);
    EXPECT_EQ(req.cert_ids[0].hash, want.hash);
    EXPECT_EQ(req.nonce_state, want.nonce);
    EXPECT_EQ(req.nonce.size(), want.nonce_len);
    EXPECT_EQ(req.has_signature, want.signed_request);
    EXPECT_EQ(req.NeedsLiveSigning(), want.live);
  }
}

TEST(RequestCorpusTest, BadFilesAreRejectedWithTheirReason) {
  for (const auto& [name, want] : kBad) {
    SCOPED_TRACE(name);
    std::vector<uint8_t> der = ReadFile(kCorpus / "bad" / name);
    Request req;
    EXPECT_EQ(ParseRequest(der, &req), want.error);
    EXPECT_LE(req.cert_id_count, kMaxCertIdsPerRequest);
  }
}

// Property: we and OpenSSL agree on accept/reject except for the documented
// stricter rules in kBad; where both accept, the CertIDs, nonce and signature
// presence agree.
TEST(RequestCorpusTest, AgreesWithOpenSsl) {
  for (const auto& [name, want] : kBad) {
    SCOPED_TRACE(name);
    openssl::OcspRequestPtr theirs = OpenSslParse(ReadFile(kCorpus / "bad" / name));
    EXPECT_EQ(theirs != nullptr, want.openssl_accepts);
    if (want.openssl_accepts) {
      EXPECT_STRNE(want.why, "");
    }
  }
  for (const auto& [name, want] : kGood) {
    SCOPED_TRACE(name);
    std::vector<uint8_t> der = ReadFile(kCorpus / "good" / name);
    Request ours;
    ASSERT_EQ(ParseRequest(der, &ours), ParseError::kOk);
    openssl::OcspRequestPtr theirs = OpenSslParse(der);
    ASSERT_NE(theirs, nullptr);
    ASSERT_EQ(static_cast<size_t>(OCSP_request_onereq_count(theirs.get())), ours.cert_id_count);
    for (size_t i = 0; i < ours.cert_id_count; ++i) {
      const CertId& id = ours.cert_ids[i];
      OCSP_CERTID* cid = OCSP_onereq_get0_id(OCSP_request_onereq_get0(theirs.get(), i));
      ASSERT_NE(cid, nullptr);
      ASN1_OCTET_STRING* name_hash = nullptr;
      ASN1_OBJECT* md = nullptr;
      ASN1_OCTET_STRING* key_hash = nullptr;
      ASN1_INTEGER* serial = nullptr;
      ASSERT_EQ(OCSP_id_get0_info(&name_hash, &md, &key_hash, &serial, cid), 1);
      const int nids[] = {0, NID_sha1, NID_sha256, NID_sha384, NID_sha512};
      EXPECT_EQ(OBJ_obj2nid(md), nids[static_cast<int>(id.hash)]);
      EXPECT_TRUE(der::Equal(id.name_hash, der::Bytes(ASN1_STRING_get0_data(name_hash),
                                                      ASN1_STRING_length(name_hash))));
      EXPECT_TRUE(der::Equal(
          id.key_hash, der::Bytes(ASN1_STRING_get0_data(key_hash), ASN1_STRING_length(key_hash))));
      unsigned char* serial_der = nullptr;
      int serial_len = i2d_ASN1_INTEGER(serial, &serial_der);
      ASSERT_GT(serial_len, 2);
      EXPECT_TRUE(der::Equal(id.serial, der::Bytes(serial_der + 2, serial_len - 2)));
      OPENSSL_free(serial_der);
      unsigned char* cid_der = nullptr;
      int cid_len = i2d_OCSP_CERTID(cid, &cid_der);
      ASSERT_GT(cid_len, 0);
      EXPECT_TRUE(der::Equal(id.raw, der::Bytes(cid_der, cid_len)));
      OPENSSL_free(cid_der);
    }
    int ext = OCSP_REQUEST_get_ext_by_NID(theirs.get(), NID_id_pkix_OCSP_Nonce, -1);
    EXPECT_EQ(ext >= 0, ours.nonce_state != NonceState::kAbsent);
    if (ext >= 0) {
      ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(OCSP_REQUEST_get_ext(theirs.get(), ext));
      EXPECT_TRUE(der::Equal(ours.nonce_extn_value,
                             der::Bytes(ASN1_STRING_get0_data(value), ASN1_STRING_length(value))));
    }
    EXPECT_EQ(OCSP_request_is_signed(theirs.get()) == 1, ours.has_signature);
  }
}

TEST(RequestTest, TooManyCertIdsCapsTheCount) {
  std::vector<uint8_t> der = ReadFile(kCorpus / "bad" / "too_many_cert_ids.der");
  Request req;
  ASSERT_EQ(ParseRequest(der, &req), ParseError::kTooManyCertIds);
  EXPECT_EQ(req.cert_id_count, kMaxCertIdsPerRequest);
}

TEST(RequestTest, MalformedNonceIsMarkedAndKeptForTheRecord) {
  std::vector<uint8_t> der = ReadFile(kCorpus / "bad" / "nonce_not_octet_string.der");
  Request req;
  ASSERT_EQ(ParseRequest(der, &req), ParseError::kBadNonce);
  EXPECT_EQ(req.nonce_state, NonceState::kMalformed);
  EXPECT_EQ(req.nonce_extn_value.size(), 16u);
  EXPECT_TRUE(req.nonce.empty());
}

TEST(RequestTest, OutputsPointIntoTheInput) {
  std::vector<uint8_t> der = ReadFile(kCorpus / "good" / "with_nonce.der");
  Request req;
  ASSERT_EQ(ParseRequest(der, &req), ParseError::kOk);
  const uint8_t* begin = der.data();
  const uint8_t* end = der.data() + der.size();
  for (der::Bytes b :
       {req.cert_ids[0].raw, req.cert_ids[0].serial, req.nonce, req.nonce_extn_value}) {
    EXPECT_GE(b.data(), begin);
    EXPECT_LE(b.data() + b.size(), end);
  }
  // extnValue is the OCTET STRING that wraps the nonce: 04 10 <16 octets>.
  EXPECT_EQ(req.nonce_extn_value.size(), 18u);
  EXPECT_EQ(req.nonce.data(), req.nonce_extn_value.data() + 2);
}

TEST(RequestTest, EveryPrefixOfAGoodRequestIsRejected) {
  for (const char* name : {"signed_request.der", "with_nonce.der", "two_cert_ids.der"}) {
    std::vector<uint8_t> der = ReadFile(kCorpus / "good" / name);
    for (size_t n = 0; n < der.size(); ++n) {
      Request req;
      EXPECT_NE(ParseRequest(der::Bytes(der.data(), n), &req), ParseError::kOk) << name << n;
    }
  }
}

TEST(RequestTest, NeedsLiveSigning) {
  Request r;
  r.cert_id_count = 1;
  r.cert_ids[0].hash = HashAlg::kSha1;
  EXPECT_FALSE(r.NeedsLiveSigning());
  r.cert_ids[0].hash = HashAlg::kSha256;
  EXPECT_FALSE(r.NeedsLiveSigning());
  r.cert_ids[0].hash = HashAlg::kSha384;
  EXPECT_TRUE(r.NeedsLiveSigning());
  r.cert_ids[0].hash = HashAlg::kSha512;
  EXPECT_TRUE(r.NeedsLiveSigning());
  r.cert_ids[0].hash = HashAlg::kSha1;
  r.nonce_state = NonceState::kValid;
  EXPECT_TRUE(r.NeedsLiveSigning());
  r.nonce_state = NonceState::kAbsent;
  r.cert_id_count = 2;
  EXPECT_TRUE(r.NeedsLiveSigning());
}

}  // namespace
}  // namespace keyward::ocsp
