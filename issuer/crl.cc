#include "issuer/crl.h"

#include <openssl/bn.h>
#include <openssl/x509v3.h>

namespace keyward::issuer {
namespace {

using RevokedPtr = std::unique_ptr<X509_REVOKED, openssl::Free<X509_REVOKED_free>>;
using EnumeratedPtr = std::unique_ptr<ASN1_ENUMERATED, openssl::Free<ASN1_ENUMERATED_free>>;

Result<X509CrlPtr> Failed(const char* what) {
  return Fail(std::string("CRL ") + what + ": " + openssl::DrainErrors());
}

openssl::Asn1IntegerPtr SerialFromHex(const std::string& hex) {
  BIGNUM* bn = nullptr;
  if (BN_hex2bn(&bn, hex.c_str()) == 0) return nullptr;
  openssl::BignumPtr owned(bn);
  return openssl::Asn1IntegerPtr(BN_to_ASN1_INTEGER(bn, nullptr));
}

bool AddRevoked(X509_CRL* crl, const store::CertRecord& r) {
  RevokedPtr rev(X509_REVOKED_new());
  openssl::Asn1IntegerPtr serial = SerialFromHex(r.serial_hex);
  openssl::Asn1TimePtr when(ASN1_TIME_set(nullptr, static_cast<time_t>(r.revoked_at)));
  if (!rev || !serial || !when || X509_REVOKED_set_serialNumber(rev.get(), serial.get()) != 1 ||
      X509_REVOKED_set_revocationDate(rev.get(), when.get()) != 1) {
    return false;
  }
  if (r.reason != ocsp::RevocationReason::kNone) {
    EnumeratedPtr code(ASN1_ENUMERATED_new());
    if (!code || ASN1_ENUMERATED_set(code.get(), static_cast<long>(r.reason)) != 1 ||
        X509_REVOKED_add1_ext_i2d(rev.get(), NID_crl_reason, code.get(), 0, 0) != 1) {
      return false;
    }
  }
  if (X509_CRL_add0_revoked(crl, rev.get()) != 1) return false;
  rev.release();  // owned by the CRL
  return true;
}

}  // namespace

Result<X509CrlPtr> BuildCrl(const pki::CaMaterial& ca,
                            const std::vector<store::CertRecord>& records, int64_t now,
                            int64_t next_update_s, uint64_t number) {
  if (!ca.key) return Fail("CA '" + ca.name + "' has no key: it cannot sign a CRL");
  X509CrlPtr crl(X509_CRL_new());
  if (!crl) return Failed("new");
  openssl::Asn1TimePtr last(ASN1_TIME_set(nullptr, static_cast<time_t>(now)));
  openssl::Asn1TimePtr next(ASN1_TIME_set(nullptr, static_cast<time_t>(now + next_update_s)));
  if (X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca.cert.get())) != 1 || !last ||
      !next || X509_CRL_set1_lastUpdate(crl.get(), last.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), next.get()) != 1) {
    return Failed("header");
  }
  for (const store::CertRecord& r : records) {
    if (r.ca != ca.name || r.status != ocsp::CertStatus::kRevoked) continue;
    if (!AddRevoked(crl.get(), r)) return Failed("entry");
  }
  openssl::Asn1IntegerPtr crl_number(ASN1_INTEGER_new());
  if (!crl_number || ASN1_INTEGER_set_uint64(crl_number.get(), number) != 1 ||
      X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, crl_number.get(), 0, 0) != 1) {
    return Failed("crlNumber");
  }
  // AKI from the CA's SKI, so clients find the right CA certificate.
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca.cert.get(), nullptr, nullptr, crl.get(), 0);
  openssl::X509ExtPtr aki(
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
  if (aki && X509_CRL_add_ext(crl.get(), aki.get(), -1) != 1) return Failed("AKI");
  openssl::DrainErrors();  // a CA without SKI just gets no AKI
  if (X509_CRL_sort(crl.get()) != 1) return Failed("sort");
  const EVP_MD* md = EVP_PKEY_get_id(ca.key.get()) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
  if (X509_CRL_sign(crl.get(), ca.key.get(), md) <= 0) return Failed("sign");
  return crl;
}

}  // namespace keyward::issuer
