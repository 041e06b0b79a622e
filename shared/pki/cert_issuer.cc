#include "shared/pki/cert_issuer.h"

#include <string_view>
#include <utility>

#include "shared/pki/deferred_key.h"
#include "shared/pki/x509_build.h"

namespace keyward::pki {
namespace {

using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, openssl::Free<GENERAL_NAMES_free>>;
using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, openssl::Free<GENERAL_NAME_free>>;
using EkuPtr = std::unique_ptr<EXTENDED_KEY_USAGE, openssl::Free<EXTENDED_KEY_USAGE_free>>;
using AiaPtr = std::unique_ptr<AUTHORITY_INFO_ACCESS, openssl::Free<AUTHORITY_INFO_ACCESS_free>>;
using AccessDescriptionPtr =
    std::unique_ptr<ACCESS_DESCRIPTION, openssl::Free<ACCESS_DESCRIPTION_free>>;
void FreeExtensions(STACK_OF(X509_EXTENSION) * exts) {
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
}
using ExtensionsPtr = std::unique_ptr<STACK_OF(X509_EXTENSION), openssl::Free<FreeExtensions>>;

constexpr int64_t kDay = 24 * 3600;

// NewIa5Name makes a GEN_URI or GEN_DNS name holding `value`.
GeneralNamePtr NewIa5Name(int type, const std::string& value) {
  GeneralNamePtr name(GENERAL_NAME_new());
  ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
  if (!name || ia5 == nullptr ||
      ASN1_STRING_set(ia5, value.data(), static_cast<int>(value.size())) != 1) {
    ASN1_IA5STRING_free(ia5);
    return nullptr;
  }
  GENERAL_NAME_set0_value(name.get(), type, ia5);
  return name;
}

// CsrSans: the subjectAltName requested in the CSR's extensionRequest; an
// empty list when there is none.
Result<GeneralNamesPtr> CsrSans(X509_REQ* csr) {
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  if (!names) return Fail("out of memory");
  ExtensionsPtr exts(X509_REQ_get_extensions(csr));
  openssl::DrainErrors();  // no extensionRequest is not an error
  if (!exts) return names;
  int crit = 0;
  GeneralNamesPtr requested(static_cast<GENERAL_NAMES*>(
      X509V3_get_d2i(exts.get(), NID_subject_alt_name, &crit, nullptr)));
  if (!requested) {
    if (crit == -1) return names;  // absent
    return Fail("CSR subjectAltName is malformed");
  }
  return requested;
}

Result<void> AddSans(X509* cert, X509_REQ* csr, const IssueProfile& profile) {
  GeneralNamesPtr names(nullptr);
  if (profile.copy_csr_sans) {
    Result<GeneralNamesPtr> from_csr = CsrSans(csr);
    if (!from_csr) return Fail(from_csr.error());
    names = std::move(*from_csr);
  } else {
    names.reset(sk_GENERAL_NAME_new_null());
  }
  if (!names) return Fail("out of memory");
  auto add = [&](int type, const std::vector<std::string>& values) {
    for (const std::string& v : values) {
      GeneralNamePtr name = NewIa5Name(type, v);
      if (!name || sk_GENERAL_NAME_push(names.get(), name.get()) <= 0) return false;
      name.release();  // now owned by `names`
    }
    return true;
  };
  if (!add(GEN_URI, profile.extra_uri_sans) || !add(GEN_DNS, profile.extra_dns_sans)) {
    return Fail("subjectAltName: " + openssl::DrainErrors());
  }
  if (sk_GENERAL_NAME_num(names.get()) == 0) return {};
  // RFC 5280 4.2.1.6: critical when the subject is empty.
  int critical = X509_NAME_entry_count(X509_get_subject_name(cert)) == 0 ? 1 : 0;
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), critical, X509V3_ADD_DEFAULT) !=
      1) {
    return Fail("subjectAltName: " + openssl::DrainErrors());
  }
  return {};
}

// EkuObject maps a profile EKU name to its OID: the four names we document,
// or a dotted OID.
ASN1_OBJECT* EkuObject(const std::string& name) {
  static constexpr std::pair<std::string_view, int> kNames[] = {
      {"clientAuth", NID_client_auth},
      {"serverAuth", NID_server_auth},
      {"codeSigning", NID_code_sign},
      {"emailProtection", NID_email_protect},
  };
  for (const auto& [text, nid] : kNames) {
    if (name == text) return OBJ_nid2obj(nid);
  }
  return OBJ_txt2obj(name.c_str(), 1);  // 1: numeric form only
}

Result<void> AddEkus(X509* cert, const std::vector<std::string>& ekus) {
  if (ekus.empty()) return {};
  EkuPtr eku(sk_ASN1_OBJECT_new_null());
  if (!eku) return Fail("out of memory");
  for (const std::string& name : ekus) {
    ASN1_OBJECT* obj = EkuObject(name);
    if (obj == nullptr) {
      openssl::DrainErrors();
      return Fail("unknown extendedKeyUsage '" + name + "'");
    }
    if (sk_ASN1_OBJECT_push(eku.get(), obj) <= 0) {
      ASN1_OBJECT_free(obj);
      return Fail("out of memory");
    }
  }
  if (X509_add1_ext_i2d(cert, NID_ext_key_usage, eku.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return Fail("extendedKeyUsage: " + openssl::DrainErrors());
  }
  return {};
}

// AddAia points relying parties at our responder (RFC 5280 4.2.2.1). Built
// directly rather than from config text, so any URL character is safe.
Result<void> AddAia(X509* cert, const std::string& ocsp_url) {
  AiaPtr aia(sk_ACCESS_DESCRIPTION_new_null());
  AccessDescriptionPtr ad(ACCESS_DESCRIPTION_new());
  GeneralNamePtr location = NewIa5Name(GEN_URI, ocsp_url);
  if (!aia || !ad || !location) return Fail("out of memory");
  ASN1_OBJECT_free(ad->method);
  ad->method = OBJ_nid2obj(NID_ad_OCSP);
  GENERAL_NAME_free(ad->location);
  ad->location = location.release();
  if (sk_ACCESS_DESCRIPTION_push(aia.get(), ad.get()) <= 0) return Fail("out of memory");
  ad.release();
  if (X509_add1_ext_i2d(cert, NID_info_access, aia.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return Fail("authorityInfoAccess: " + openssl::DrainErrors());
  }
  return {};
}

// SetPublicKey copies the CSR's key into the certificate. An RSA key is read
// again from the CSR's own bytes (RsaPublicKeyOf): X509_set_pubkey encodes
// that form directly, where a key from OpenSSL's decoders goes through an
// encoder and a decoder (about 250 µs). Other keys are taken as they are.
Result<void> SetPublicKey(X509* cert, X509_REQ* csr, EVP_PKEY* csr_key) {
  openssl::EvpPkeyPtr rsa = RsaPublicKeyOf(X509_REQ_get_X509_PUBKEY(csr));
  if (X509_set_pubkey(cert, rsa ? rsa.get() : csr_key) != 1) {
    return Fail("public key: " + openssl::DrainErrors());
  }
  return {};
}

Result<void> AddExtensions(X509* cert, const CaMaterial& ca, X509_REQ* csr, EVP_PKEY* csr_key,
                           const IssueProfile& profile, const std::string& ocsp_url) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca.cert.get(), cert, csr, nullptr, 0);
  bool rsa = EVP_PKEY_get_base_id(csr_key) == EVP_PKEY_RSA;
  // RSA keys may be used for key transport (SCEP, TLS RSA); EC keys only sign.
  const char* key_usage =
      rsa ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature";
  // "keyid,issuer": the CA's key identifier, or its name and serial when the
  // CA (made elsewhere) has no subjectKeyIdentifier.
  std::pair<int, const char*> conf[] = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, key_usage},
      {NID_subject_key_identifier, "hash"},
      {NID_authority_key_identifier, "keyid,issuer"},
  };
  for (const auto& [nid, value] : conf) {
    Result<void> added = AddConfExtension(cert, &ctx, nid, value);
    if (!added) return added;
  }
  Result<void> eku = AddEkus(cert, profile.ekus);
  if (!eku) return eku;
  Result<void> sans = AddSans(cert, csr, profile);
  if (!sans) return sans;
  if (!ocsp_url.empty()) return AddAia(cert, ocsp_url);
  return {};
}

}  // namespace

Result<IssuedCert> Issue(const CaMaterial& ca, const CsrInput& input, const IssueProfile& profile,
                         const std::string& ocsp_url, int64_t now) {
  if (!ca.key) return Fail("CA '" + ca.name + "' has no key loaded; it cannot issue");
  X509_REQ* csr = input.csr;
  if (csr == nullptr) return Fail("no CSR");
  EVP_PKEY* csr_key = input.key != nullptr ? input.key : X509_REQ_get0_pubkey(csr);
  if (csr_key == nullptr ||
      (input.signature == CsrSignature::kCheck && X509_REQ_verify(csr, csr_key) != 1)) {
    openssl::DrainErrors();
    return Fail("CSR signature does not verify");
  }
  if (profile.days <= 0) return Fail("certificate lifetime must be positive");

  openssl::X509Ptr cert(X509_new());
  if (!cert) return Fail("out of memory");
  Result<openssl::Asn1IntegerPtr> serial = RandomSerial();
  if (!serial) return Fail(serial.error());
  openssl::X509NamePtr parsed(nullptr);
  const X509_NAME* subject = X509_REQ_get_subject_name(csr);
  if (!profile.subject.empty()) {
    Result<openssl::X509NamePtr> name = ParseSubject(profile.subject);
    if (!name) return Fail(name.error());
    parsed = std::move(*name);
    subject = parsed.get();
  }
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_set_serialNumber(cert.get(), serial->get()) != 1 ||
      X509_set_subject_name(cert.get(), subject) != 1 ||
      X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.cert.get())) != 1) {
    return Fail("building certificate: " + openssl::DrainErrors());
  }
  if (Result<void> key = SetPublicKey(cert.get(), csr, csr_key); !key) return Fail(key.error());

  int64_t not_before = now - profile.backdate_s;
  int64_t not_after = now + profile.days * kDay;
  int64_t ca_end = 0;
  // Never outlive the CA: path validation would fail from that day on.
  if (Asn1TimeToUnix(X509_get0_notAfter(ca.cert.get()), &ca_end) && ca_end < not_after) {
    not_after = ca_end;
  }
  Result<void> valid = SetValidity(cert.get(), not_before, not_after);
  if (!valid) return Fail(valid.error());
  Result<void> exts = AddExtensions(cert.get(), ca, csr, csr_key, profile, ocsp_url);
  if (!exts) return Fail(exts.error());
  Result<void> signed_ok = SignCertificate(cert.get(), ca.key.get());
  if (!signed_ok) return Fail(signed_ok.error());

  IssuedCert out;
  std::vector<uint8_t> contents = IntegerContents(X509_get0_serialNumber(cert.get()));
  if (contents.empty()) return Fail("serial encoding failed");
  out.record.ca = ca.name;
  out.record.serial_hex = ocsp::SerialHexString(contents);
  out.record.status = ocsp::CertStatus::kGood;
  // Read the times back from the certificate: they are what clients see.
  if (!Asn1TimeToUnix(X509_get0_notBefore(cert.get()), &out.record.not_before) ||
      !Asn1TimeToUnix(X509_get0_notAfter(cert.get()), &out.record.not_after)) {
    return Fail("validity: cannot read back");
  }
  out.record.subject = NameToRfc2253(X509_get_subject_name(cert.get()));
  out.record.source = store::Source::kKeyward;
  out.record.updated_at = now;
  // device_id follows the CA's rule, which CaMaterial does not carry: the
  // caller sets it with DeviceIdOf.
  out.cert = std::move(cert);
  return out;
}

std::string DeviceIdOf(X509* cert, const std::string& rule) {
  if (rule.empty() || cert == nullptr) return {};
  constexpr std::string_view kSanUri = "san-uri:";
  constexpr std::string_view kSubject = "subject:";
  if (rule == "san-dns" || rule.rfind(kSanUri, 0) == 0) {
    bool dns = rule == "san-dns";
    std::string_view prefix = dns ? "" : std::string_view(rule).substr(kSanUri.size());
    GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
    openssl::DrainErrors();
    if (!names) return {};
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
      int type = 0;
      const ASN1_STRING* value =
          static_cast<const ASN1_STRING*>(GENERAL_NAME_get0_value(gn, &type));
      if (type != (dns ? GEN_DNS : GEN_URI) || value == nullptr) continue;
      std::string_view text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                            static_cast<size_t>(ASN1_STRING_length(value)));
      if (text.substr(0, prefix.size()) != prefix) continue;
      text.remove_prefix(prefix.size());
      if (!text.empty()) return std::string(text);
    }
    return {};
  }
  if (rule.rfind(kSubject, 0) == 0) {
    std::string attr = rule.substr(kSubject.size());
    int nid = OBJ_txt2nid(attr.c_str());
    if (nid == NID_undef) return {};
    const X509_NAME* name = X509_get_subject_name(cert);
    // The most specific (last) attribute of that type wins.
    int index = -1;
    for (int next = X509_NAME_get_index_by_NID(name, nid, -1); next >= 0;
         next = X509_NAME_get_index_by_NID(name, nid, next)) {
      index = next;
    }
    if (index < 0) return {};
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, data);
    if (len < 0) {
      openssl::DrainErrors();
      return {};
    }
    std::string id(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
    OPENSSL_free(utf8);
    return id;
  }
  return {};
}

}  // namespace keyward::pki
