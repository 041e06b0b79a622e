#include "shared/ocsp/response_signer.h"

#include <openssl/objects.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <iterator>
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

// NewSignContext initialises a digest-sign context for `key` with the digest
// that suits it (SHA-256 for RSA and P-256, SHA-384 for P-384).
openssl::EvpMdCtxPtr NewSignContext(EVP_PKEY* key) {
  const EVP_MD* md = nullptr;
  if (key == nullptr || !pki::SignatureDigestFor(key, &md)) return nullptr;
  openssl::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, FetchedDigest(md), nullptr, key) != 1) {
    return nullptr;
  }
  return ctx;
}

// CopySignContext duplicates the prepared context; the copy owns its own
// key context, so the template is only read.
openssl::EvpMdCtxPtr CopySignContext(const EVP_MD_CTX* sign_template) {
  openssl::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_MD_CTX_copy_ex(ctx.get(), sign_template) != 1) return nullptr;
  return ctx;
}

// DerLength appends a DER length (X.690 8.1.3) at `out`; returns its size.
size_t DerLength(size_t len, uint8_t* out) {
  if (len < 0x80) {
    if (out != nullptr) out[0] = static_cast<uint8_t>(len);
    return 1;
  }
  size_t n = 0;
  for (size_t v = len; v != 0; v >>= 8) ++n;
  if (out != nullptr) {
    out[0] = static_cast<uint8_t>(0x80 | n);
    for (size_t i = 0; i < n; ++i) out[1 + i] = static_cast<uint8_t>(len >> (8 * (n - 1 - i)));
  }
  return 1 + n;
}

// EncodeSuccessful wraps a signed BasicOCSPResponse in an OCSPResponse
// (RFC 6960 4.2.1) and encodes it straight into the result:
//   SEQUENCE { ENUMERATED successful, [0] EXPLICIT SEQUENCE {
//     OID id-pkix-ocsp-basic, OCTET STRING { BasicOCSPResponse } } }
// The same bytes OCSP_response_create + i2d_OCSP_RESPONSE give, without
// encoding the BasicOCSPResponse into a temporary and copying it twice.
Result<std::string> EncodeSuccessful(OCSP_BASICRESP* bs) {
  static constexpr uint8_t kStatus[] = {0x0A, 0x01, 0x00};
  static constexpr uint8_t kBasicOid[] = {0x06, 0x09, 0x2B, 0x06, 0x01, 0x05,
                                          0x05, 0x07, 0x30, 0x01, 0x01};
  int bs_len = i2d_OCSP_BASICRESP(bs, nullptr);
  if (bs_len <= 0) return Fail("encoding: " + openssl::DrainErrors());
  size_t octets = 1 + DerLength(static_cast<size_t>(bs_len), nullptr) + static_cast<size_t>(bs_len);
  size_t bytes_seq = sizeof(kBasicOid) + octets;
  size_t explicit_tag = 1 + DerLength(bytes_seq, nullptr) + bytes_seq;
  size_t body = sizeof(kStatus) + 1 + DerLength(explicit_tag, nullptr) + explicit_tag;
  std::string der(1 + DerLength(body, nullptr) + body, '\0');
  auto* p = reinterpret_cast<uint8_t*>(der.data());
  *p++ = 0x30;
  p += DerLength(body, p);
  p = std::copy(std::begin(kStatus), std::end(kStatus), p);
  *p++ = 0xA0;
  p += DerLength(explicit_tag, p);
  *p++ = 0x30;
  p += DerLength(bytes_seq, p);
  p = std::copy(std::begin(kBasicOid), std::end(kBasicOid), p);
  *p++ = 0x04;
  p += DerLength(static_cast<size_t>(bs_len), p);
  unsigned char* w = p;
  if (i2d_OCSP_BASICRESP(bs, &w) != bs_len ||
      w != reinterpret_cast<uint8_t*>(der.data()) + der.size()) {
    return Fail("encoding: " + openssl::DrainErrors());
  }
  return der;
}

// Sign builds a BasicOCSPResponse for `singles`, signs it with the CA's
// signer and returns the whole OCSPResponse DER.
Result<std::string> Sign(const pki::CaMaterial& ca, const EVP_MD_CTX* sign_template,
                         std::span<const Single> singles, der::Bytes nonce, bool extended_revoked,
                         const Validity& v) {
  if (!ca.signer_cert || !ca.signer_key) return Fail("CA '" + ca.name + "' has no OCSP signer");
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

  openssl::EvpMdCtxPtr ctx = sign_template != nullptr ? CopySignContext(sign_template)
                                                      : NewSignContext(ca.signer_key.get());
  if (!ctx) return Fail("signer init: " + openssl::DrainErrors());
  // byKey: the SHA-1 of the signer's public key (RFC 6960 4.2.1), shorter
  // than its name and what RFC 5019 asks for. The signer certificate goes
  // into `certs` so clients can verify a delegated responder.
  if (OCSP_basic_sign_ctx(bs.get(), ca.signer_cert.get(), ctx.get(), nullptr,
                          OCSP_RESPID_KEY | OCSP_NOTIME) != 1) {
    return Fail("signing: " + openssl::DrainErrors());
  }
  return EncodeSuccessful(bs.get());
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

ResponseSigner::ResponseSigner(const pki::CaMaterial& ca)
    : ca_(ca), sign_template_(NewSignContext(ca.signer_key.get())) {
  openssl::DrainErrors();  // a failure here shows up, with its reason, when signing
}

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
  Result<std::string> der =
      Sign(ca_, sign_template_.get(), std::span(&single, 1), {}, false, validity);
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
  return Sign(ca_, sign_template_.get(), singles, nonce_extn_value, extended, validity);
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
