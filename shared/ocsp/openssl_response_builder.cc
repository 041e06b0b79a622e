#include "shared/ocsp/openssl_response_builder.h"

#include <openssl/objects.h>
#include <openssl/ocsp.h>

#include <string>

#include "shared/ocsp/response_envelope.h"
#include "shared/openssl/ptr.h"
#include "shared/pki/x509_build.h"

namespace keyward::ocsp {
namespace {

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

// EncodeSuccessful wraps a signed BasicOCSPResponse in an OCSPResponse
// (RFC 6960 4.2.1):
//   SEQUENCE { ENUMERATED successful, [0] EXPLICIT SEQUENCE {
//     OID id-pkix-ocsp-basic, OCTET STRING { BasicOCSPResponse } } }
Result<std::string> EncodeSuccessful(OCSP_BASICRESP* bs) {
  int bs_len = i2d_OCSP_BASICRESP(bs, nullptr);
  if (bs_len <= 0) return Fail("encoding: " + openssl::DrainErrors());
  std::string basic(static_cast<size_t>(bs_len), '\0');
  auto* w = reinterpret_cast<unsigned char*>(basic.data());
  if (i2d_OCSP_BASICRESP(bs, &w) != bs_len) return Fail("encoding: " + openssl::DrainErrors());
  return WrapBasicResponse(
      der::Bytes(reinterpret_cast<const uint8_t*>(basic.data()), basic.size()));
}

}  // namespace

Result<std::string> BuildWithOpenssl(const pki::CaMaterial& ca,
                                     std::span<const SingleAnswer> singles,
                                     der::Bytes nonce_extn_value, bool extended_revoked,
                                     const Validity& v) {
  if (!ca.signer_cert || !ca.signer_key) return Fail("CA '" + ca.name + "' has no OCSP signer");
  openssl::OcspBasicRespPtr bs(OCSP_BASICRESP_new());
  openssl::Asn1TimePtr this_update(ASN1_GENERALIZEDTIME_set(nullptr, v.now - v.backdate_s));
  openssl::Asn1TimePtr next_update(ASN1_GENERALIZEDTIME_set(nullptr, v.now + v.validity_s));
  if (!bs || !this_update || !next_update) return Fail("out of memory");

  for (size_t i = 0; i < singles.size(); ++i) {
    const SingleAnswer& s = singles[i];
    const unsigned char* p = s.cert_id.data();
    openssl::OcspCertIdPtr id(d2i_OCSP_CERTID(nullptr, &p, static_cast<long>(s.cert_id.size())));
    if (!id || p != s.cert_id.data() + s.cert_id.size()) {
      openssl::DrainErrors();
      return Fail("malformed CertID in item " + std::to_string(i));
    }
    openssl::Asn1TimePtr revoked_time;
    int reason = -1;  // -1: revokedInfo carries no reason
    if (s.status == CertStatus::kRevoked) {
      revoked_time.reset(ASN1_GENERALIZEDTIME_set(nullptr, s.revoked_at));
      if (!revoked_time) return Fail("revocation time: " + openssl::DrainErrors());
      if (s.reason != RevocationReason::kNone) reason = static_cast<int>(s.reason);
    }
    if (OCSP_basic_add1_status(bs.get(), id.get(), OpensslStatus(s.status), reason,
                               revoked_time.get(), this_update.get(),
                               next_update.get()) == nullptr) {
      return Fail("adding SingleResponse: " + openssl::DrainErrors());
    }
  }
  if (!nonce_extn_value.empty() && !AddNonce(bs.get(), nonce_extn_value)) {
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
  // keeps OCSP_basic_sign from overwriting it. The accessor is const only by
  // declaration; the field belongs to `bs`, which we own.
  auto* produced_at = const_cast<ASN1_GENERALIZEDTIME*>(OCSP_resp_get0_produced_at(bs.get()));
  if (ASN1_GENERALIZEDTIME_set(produced_at, v.now) == nullptr) {
    return Fail("producedAt: " + openssl::DrainErrors());
  }
  const EVP_MD* md = nullptr;
  if (!pki::SignatureDigestFor(ca.signer_key.get(), &md)) return Fail("unsupported signer key");
  // byKey: the SHA-1 of the signer's public key (RFC 6960 4.2.1), shorter
  // than its name and what RFC 5019 asks for. The signer certificate goes
  // into `certs` so clients can verify a delegated responder.
  if (OCSP_basic_sign(bs.get(), ca.signer_cert.get(), ca.signer_key.get(), md, nullptr,
                      OCSP_RESPID_KEY | OCSP_NOTIME) != 1) {
    return Fail("signing: " + openssl::DrainErrors());
  }
  return EncodeSuccessful(bs.get());
}

}  // namespace keyward::ocsp
