#pragma once
// CertIssuer: sign a CSR into a certificate with a Keyward CA. Shared by
// `keyward issue` and the SCEP issuer.
#include <cstdint>
#include <string>
#include <vector>

#include "shared/openssl/ptr.h"
#include "shared/pki/ca_material.h"
#include "shared/result.h"
#include "shared/store/record.h"

namespace keyward::pki {

struct IssueProfile {
  int64_t days = 365;
  int64_t backdate_s = 300;
  // Subject: copied from the CSR unless `subject` is set ("CN=x,O=y").
  std::string subject{};
  bool copy_csr_sans = true;                  // copy the CSR's subjectAltName
  std::vector<std::string> extra_uri_sans{};  // e.g. "urn:device:1234"
  std::vector<std::string> extra_dns_sans{};
  std::vector<std::string> ekus{"clientAuth"};  // clientAuth, serverAuth, ...
};

struct IssuedCert {
  openssl::X509Ptr cert;
  store::CertRecord record;  // ca, serial_hex, not_before/after, subject; status good
};

// CsrSignature: whether Issue still has to check the CSR's self-signature.
enum class CsrSignature { kCheck, kCheckedByCaller };

// CsrInput: a CSR and its public key, for callers that decoded the key
// themselves (a CSR from ParseCsrDeferringKey carries none).
struct CsrInput {
  X509_REQ* csr = nullptr;  // borrowed
  EVP_PKEY* key = nullptr;  // borrowed; null: the CSR's own (X509_REQ_get0_pubkey)
  CsrSignature signature = CsrSignature::kCheck;  // kCheckedByCaller: verified with `key`
};

// Issue verifies the CSR's self-signature, then signs a new certificate with a
// random 16-octet positive serial, SKI/AKI, keyUsage digitalSignature (plus
// keyEncipherment for RSA keys), the profile's EKUs, and the CA's OCSP URL
// when `ocsp_url` is non-empty (AIA). Fails on a bad CSR signature or a CA
// without its key loaded.
Result<IssuedCert> Issue(const CaMaterial& ca, const CsrInput& csr, const IssueProfile& profile,
                         const std::string& ocsp_url, int64_t now);
inline Result<IssuedCert> Issue(const CaMaterial& ca, X509_REQ* csr, const IssueProfile& profile,
                                const std::string& ocsp_url, int64_t now) {
  return Issue(ca, CsrInput{csr}, profile, ocsp_url, now);
}

// DeviceIdOf applies a [[ca]] device_id rule ("san-uri:PREFIX", "subject:CN",
// "san-dns") to a certificate; "" when the rule is empty or finds nothing.
std::string DeviceIdOf(X509* cert, const std::string& rule);

}  // namespace keyward::pki
