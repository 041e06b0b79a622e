#include "issuer/profile.h"

#include <openssl/x509v3.h>

#include "shared/openssl/ptr.h"

namespace keyward::issuer {
namespace {

void FreeExtensions(STACK_OF(X509_EXTENSION) * exts) {
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
}
using ExtensionsPtr = std::unique_ptr<STACK_OF(X509_EXTENSION), openssl::Free<FreeExtensions>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, openssl::Free<GENERAL_NAMES_free>>;

void ReplaceAll(std::string* s, const std::string& from, const std::string& to) {
  size_t pos = 0;
  while ((pos = s->find(from, pos)) != std::string::npos) {
    s->replace(pos, from.size(), to);
    pos += to.size();
  }
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::string CommonNameOf(X509_REQ* csr) {
  const X509_NAME* name = X509_REQ_get_subject_name(csr);
  if (name == nullptr) return "";
  int index = -1, last = -1;
  while ((index = X509_NAME_get_index_by_NID(name, NID_commonName, index)) >= 0) last = index;
  if (last < 0) return "";
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, last));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) {
    openssl::DrainErrors();
    return "";
  }
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

Result<void> CheckCsr(const config::IssuerConfig& cfg, X509_REQ* csr) {
  if (cfg.require_cn && CommonNameOf(csr).empty()) return Fail("CSR has no CN");
  if (cfg.allowed_dns_suffixes.empty() || !cfg.copy_csr_sans) return {};
  ExtensionsPtr exts(X509_REQ_get_extensions(csr));
  openssl::DrainErrors();
  if (!exts) return {};
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509V3_get_d2i(exts.get(), NID_subject_alt_name, nullptr, nullptr)));
  openssl::DrainErrors();
  if (!names) return {};
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
    if (gn->type != GEN_DNS) continue;
    const ASN1_IA5STRING* ia5 = gn->d.dNSName;
    std::string dns(reinterpret_cast<const char*>(ASN1_STRING_get0_data(ia5)),
                    static_cast<size_t>(ASN1_STRING_length(ia5)));
    bool allowed = false;
    for (const std::string& suffix : cfg.allowed_dns_suffixes) {
      allowed = allowed || EndsWith(dns, suffix);
    }
    if (!allowed) return Fail("DNS name " + dns + " is outside allowed_dns_suffixes");
  }
  return {};
}

std::string Expand(const std::string& text, const std::string& cn, const std::string& device_id) {
  std::string out = text;
  ReplaceAll(&out, "{cn}", cn);
  ReplaceAll(&out, "{device_id}", device_id.empty() ? cn : device_id);
  return out;
}

pki::IssueProfile BuildProfile(const config::IssuerConfig& cfg, X509_REQ* csr,
                               const std::string& device_id) {
  std::string cn = CommonNameOf(csr);
  pki::IssueProfile profile;
  profile.days = cfg.days;
  profile.subject = cfg.subject.empty() ? "" : Expand(cfg.subject, cn, device_id);
  profile.copy_csr_sans = cfg.copy_csr_sans;
  profile.ekus = cfg.ekus;
  for (const std::string& u : cfg.uri_sans) {
    std::string v = Expand(u, cn, device_id);
    if (!v.empty() && v.back() != ':') profile.extra_uri_sans.push_back(v);
  }
  for (const std::string& d : cfg.dns_sans) {
    std::string v = Expand(d, cn, device_id);
    if (!v.empty()) profile.extra_dns_sans.push_back(v);
  }
  return profile;
}

}  // namespace keyward::issuer
