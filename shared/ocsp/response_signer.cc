#include "shared/ocsp/response_signer.h"

#include <openssl/objects.h>

#include <array>
#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include "shared/pki/x509_build.h"

namespace keyward::ocsp {
namespace {

// One SingleResponse to add: the CertID (owned elsewhere) and its status.
struct Single {
  OCSP_CERTID* id = nullptr;
  CertStatus status = CertStatus::kUnknown;
  RevocationReason reason = RevocationReason::kNone;
  int64_t revoked_at = 0;
};

const EVP_MD* CertIdDigest(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha1:
      return EVP_sha1();
    case HashAlg::kSha256:
      return EVP_sha256();
    case HashAlg::kSha384:
      return EVP_sha384();
    case HashAlg::kSha512:
      return EVP_sha512();
  }
  return nullptr;
}

// FetchedDigest returns the provider implementation of `md`, fetched once per
// process. Passing the legacy EVP_sha256() to EVP_DigestSignInit makes
// OpenSSL 3 look the algorithm up again on every signature.
const EVP_MD* FetchedDigest(const EVP_MD* md) {
  if (md == nullptr) return nullptr;
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  static EVP_MD* const kSha384 = EVP_MD_fetch(nullptr, "SHA2-384", nullptr);
  static EVP_MD* const kSha512 = EVP_MD_fetch(nullptr, "SHA2-512", nullptr);
  const EVP_MD* fetched = nullptr;
  switch (EVP_MD_get_type(md)) {
    case NID_sha256:
      fetched = kSha256;
      break;
    case NID_sha384:
      fetched = kSha384;
      break;
    case NID_sha512:
      fetched = kSha512;
      break;
    default:
      break;
  }
  return fetched != nullptr ? fetched : md;
}

// The RFC 6960 2.2 extended-revoke extension: id-pkix-ocsp-extended-revoke
// (1.3.6.1.5.5.7.48.1.9, which OpenSSL 3.0 has no NID for), value NULL,
// non-critical. Built once; OCSP_BASICRESP_add_ext copies it.
const X509_EXTENSION* ExtendedRevokeExtension() {
  static X509_EXTENSION* const kExt = [] {
    X509_EXTENSION* ext = nullptr;
    ASN1_OBJECT* oid = OBJ_txt2obj("1.3.6.1.5.5.7.48.1.9", 1);
    ASN1_OCTET_STRING* value = ASN1_OCTET_STRING_new();
    static constexpr unsigned char kDerNull[] = {0x05, 0x00};
    if (oid != nullptr && value != nullptr &&
        ASN1_OCTET_STRING_set(value, kDerNull, sizeof(kDerNull)) == 1) {
      ext = X509_EXTENSION_create_by_OBJ(nullptr, oid, 0, value);
    }
    ASN1_OBJECT_free(oid);
    ASN1_OCTET_STRING_free(value);
    openssl::DrainErrors();
    return ext;
  }();
  return kExt;
}

int OpensslStatus(CertStatus status) {
  switch (status) {
    case CertStatus::kGood:
      return V_OCSP_CERTSTATUS_GOOD;
    case CertStatus::kRevoked:
      return V_OCSP_CERTSTATUS_REVOKED;
    case CertStatus::kUnknown:
      break;
  }
  return V_OCSP_CERTSTATUS_UNKNOWN;
}

// AddNonce echoes the request's nonce (RFC 8954). `value` is the request
// extension's extnValue contents, set as ours unchanged: OCSP_basic_add1_nonce
// would wrap it in another OCTET STRING, and OCSP_check_nonce (FreeRADIUS)
// compares the extnValue bytes.
bool AddNonce(OCSP_BASICRESP* bs, der::Bytes value) {
  openssl::Asn1OctetStringPtr os(ASN1_OCTET_STRING_new());
  if (!os || ASN1_OCTET_STRING_set(os.get(), value.data(), static_cast<int>(value.size())) != 1) {
    return false;
  }
  openssl::X509ExtPtr ext(
      X509_EXTENSION_create_by_OBJ(nullptr, OBJ_nid2obj(NID_id_pkix_OCSP_Nonce), 0, os.get()));
  return ext && OCSP_BASICRESP_add_ext(bs, ext.get(), -1) == 1;
}

// Sign builds a BasicOCSPResponse for `singles`, signs it with the CA's
// signer and returns the whole OCSPResponse DER.
Result<std::string> Sign(const pki::CaMaterial& ca, std::span<const Single> singles,
                         der::Bytes nonce, bool extended_revoked, const Validity& v) {
  if (!ca.signer_cert || !ca.signer_key) return Fail("CA '" + ca.name + "' has no OCSP signer");
  const EVP_MD* md = nullptr;
  if (!pki::SignatureDigestFor(ca.signer_key.get(), &md)) {
    return Fail("unsupported OCSP signer key type");
  }
  openssl::OcspBasicRespPtr bs(OCSP_BASICRESP_new());
  openssl::Asn1TimePtr this_update(ASN1_GENERALIZEDTIME_set(nullptr, v.now - v.backdate_s));
  openssl::Asn1TimePtr next_update(ASN1_GENERALIZEDTIME_set(nullptr, v.now + v.validity_s));
  if (!bs || !this_update || !next_update) return Fail("out of memory");

  openssl::Asn1TimePtr revoked_time;
  for (const Single& s : singles) {
    ASN1_TIME* revtime = nullptr;
    int reason = -1;  // -1: revokedInfo carries no reason
    if (s.status == CertStatus::kRevoked) {
      revoked_time.reset(ASN1_GENERALIZEDTIME_set(nullptr, s.revoked_at));
      if (!revoked_time) return Fail("revocation time: " + openssl::DrainErrors());
      revtime = revoked_time.get();
      if (s.reason != RevocationReason::kNone) reason = static_cast<int>(s.reason);
    }
    if (OCSP_basic_add1_status(bs.get(), s.id, OpensslStatus(s.status), reason, revtime,
                               this_update.get(), next_update.get()) == nullptr) {
      return Fail("adding SingleResponse: " + openssl::DrainErrors());
    }
  }
  if (!nonce.empty() && !AddNonce(bs.get(), nonce)) {
    return Fail("nonce extension: " + openssl::DrainErrors());
  }
  if (extended_revoked) {
    const X509_EXTENSION* ext = ExtendedRevokeExtension();
    if (ext == nullptr ||
        OCSP_BASICRESP_add_ext(bs.get(), const_cast<X509_EXTENSION*>(ext), -1) != 1) {
      return Fail("extended-revoke extension: " + openssl::DrainErrors());
    }
  }
  // producedAt comes from the injected clock, not OpenSSL's; OCSP_NOTIME
  // keeps OCSP_basic_sign_ctx from overwriting it. The accessor is const
  // only by declaration; the field belongs to `bs`, which we own.
  auto* produced_at = const_cast<ASN1_GENERALIZEDTIME*>(OCSP_resp_get0_produced_at(bs.get()));
  if (ASN1_GENERALIZEDTIME_set(produced_at, v.now) == nullptr) {
    return Fail("producedAt: " + openssl::DrainErrors());
  }

  openssl::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, FetchedDigest(md), nullptr,
                                 ca.signer_key.get()) != 1) {
    return Fail("signer init: " + openssl::DrainErrors());
  }
  // byKey: the SHA-1 of the signer's public key (RFC 6960 4.2.1), shorter
  // than its name and what RFC 5019 asks for. The signer certificate goes
  // into `certs` so clients can verify a delegated responder.
  if (OCSP_basic_sign_ctx(bs.get(), ca.signer_cert.get(), ctx.get(), nullptr,
                          OCSP_RESPID_KEY | OCSP_NOTIME) != 1) {
    return Fail("signing: " + openssl::DrainErrors());
  }
  openssl::OcspResponsePtr resp(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs.get()));
  if (!resp) return Fail("OCSPResponse: " + openssl::DrainErrors());
  int len = i2d_OCSP_RESPONSE(resp.get(), nullptr);
  if (len <= 0) return Fail("encoding: " + openssl::DrainErrors());
  std::string der(static_cast<size_t>(len), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_OCSP_RESPONSE(resp.get(), &out) != len)
    return Fail("encoding: " + openssl::DrainErrors());
  return der;
}

// SerialFromHex parses ocsp::SerialHex text as the positive integer it names.
openssl::Asn1IntegerPtr SerialFromHex(const std::string& hex) {
  if (hex.empty() || hex.size() > 2 * kMaxSerialBytes) return nullptr;
  for (char c : hex) {
    if (std::isxdigit(static_cast<unsigned char>(c)) == 0) return nullptr;
  }
  BIGNUM* bn = nullptr;
  if (BN_hex2bn(&bn, hex.c_str()) == 0) return nullptr;
  openssl::BignumPtr owned(bn);
  return openssl::Asn1IntegerPtr(BN_to_ASN1_INTEGER(bn, nullptr));
}

}  // namespace

Result<store::StoredResponse> ResponseSigner::SignPrecomputed(const store::CertRecord& record,
                                                              HashAlg alg,
                                                              const Validity& validity) const {
  openssl::Asn1IntegerPtr serial = SerialFromHex(record.serial_hex);
  if (!serial) {
    openssl::DrainErrors();
    return Fail("bad serial '" + record.serial_hex + "'");
  }
  const EVP_MD* md = CertIdDigest(alg);
  if (md == nullptr) return Fail("unknown CertID hash algorithm");
  openssl::OcspCertIdPtr id(OCSP_cert_id_new(md, X509_get_subject_name(ca_.cert.get()),
                                             X509_get0_pubkey_bitstr(ca_.cert.get()),
                                             serial.get()));
  if (!id) return Fail("CertID: " + openssl::DrainErrors());

  store::StoredResponse out;
  out.status = record.status;
  if (record.status == CertStatus::kRevoked) {
    out.reason = record.reason;
    out.revoked_at = record.revoked_at;
  }
  out.this_update = validity.now - validity.backdate_s;
  out.next_update = validity.now + validity.validity_s;
  const Single single{id.get(), out.status, out.reason, out.revoked_at};
  Result<std::string> der = Sign(ca_, std::span(&single, 1), {}, false, validity);
  if (!der) return Fail(der.error());
  out.der = std::move(*der);
  return out;
}

Result<std::string> ResponseSigner::SignLive(std::span<const LiveItem> items,
                                             der::Bytes nonce_extn_value,
                                             const Validity& validity) const {
  if (items.empty()) return Fail("no CertID to answer for");
  // RFC 6960 requests name a handful of certificates at most; a small fixed
  // array keeps the common case off the heap.
  constexpr size_t kInline = 8;
  std::array<openssl::OcspCertIdPtr, kInline> inline_ids;
  std::array<Single, kInline> inline_singles;
  std::vector<openssl::OcspCertIdPtr> heap_ids;
  std::vector<Single> heap_singles;
  std::span<openssl::OcspCertIdPtr> ids(inline_ids.data(), items.size());
  std::span<Single> singles(inline_singles.data(), items.size());
  if (items.size() > kInline) {
    heap_ids.resize(items.size());
    heap_singles.resize(items.size());
    ids = heap_ids;
    singles = heap_singles;
  }
  bool extended = false;
  for (size_t i = 0; i < items.size(); ++i) {
    const LiveItem& item = items[i];
    const unsigned char* p = item.cert_id_der.data();
    // d2i keeps the request's algorithm and hashes, so the response names
    // the certificate exactly as the client did (any hash algorithm).
    ids[i].reset(d2i_OCSP_CERTID(nullptr, &p, static_cast<long>(item.cert_id_der.size())));
    if (!ids[i] || p != item.cert_id_der.data() + item.cert_id_der.size()) {
      openssl::DrainErrors();
      return Fail("malformed CertID in item " + std::to_string(i));
    }
    Single& s = singles[i];
    s.id = ids[i].get();
    if (item.extended_revoked) {
      // RFC 6960 2.2: a serial never issued is "revoked" on 1970-01-01 with
      // reason certificateHold, and the response says why.
      s.status = CertStatus::kRevoked;
      s.reason = RevocationReason::kCertificateHold;
      s.revoked_at = 0;
      extended = true;
    } else {
      s.status = item.status;
      s.reason = item.reason;
      s.revoked_at = item.revoked_at;
    }
  }
  return Sign(ca_, singles, nonce_extn_value, extended, validity);
}

der::Bytes ErrorResponse(ResponseStatus status) {
  // OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED } with no
  // responseBytes (RFC 6960 4.2.1): constant bytes, nothing allocated.
  static constexpr uint8_t kSuccessful[] = {0x30, 0x03, 0x0A, 0x01, 0x00};
  static constexpr uint8_t kMalformed[] = {0x30, 0x03, 0x0A, 0x01, 0x01};
  static constexpr uint8_t kInternal[] = {0x30, 0x03, 0x0A, 0x01, 0x02};
  static constexpr uint8_t kTryLater[] = {0x30, 0x03, 0x0A, 0x01, 0x03};
  static constexpr uint8_t kSigRequired[] = {0x30, 0x03, 0x0A, 0x01, 0x05};
  static constexpr uint8_t kUnauthorized[] = {0x30, 0x03, 0x0A, 0x01, 0x06};
  switch (status) {
    case ResponseStatus::kSuccessful:
      return kSuccessful;
    case ResponseStatus::kMalformedRequest:
      return kMalformed;
    case ResponseStatus::kInternalError:
      return kInternal;
    case ResponseStatus::kTryLater:
      return kTryLater;
    case ResponseStatus::kSigRequired:
      return kSigRequired;
    case ResponseStatus::kUnauthorized:
      return kUnauthorized;
  }
  return kInternal;
}

}  // namespace keyward::ocsp
