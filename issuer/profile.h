#pragma once
// Profile: what an issued certificate carries, from [issuer] (subject and SAN
// policy, EKUs, validity, device/tenant URI SANs), and the checks a CSR must
// pass first. Placeholders in subject, uri_sans and dns_sans: {cn} (the CSR's
// CN) and {device_id} (from the webhook answer, else the CN).
#include <openssl/x509.h>

#include <string>

#include "shared/config/config.h"
#include "shared/pki/cert_issuer.h"
#include "shared/result.h"

namespace keyward::issuer {

// CommonNameOf: the CSR subject's last CN as UTF-8, "" when none.
std::string CommonNameOf(X509_REQ* csr);

// CheckCsr applies require_cn and allowed_dns_suffixes. The error is the
// reason given to the audit log (and the client's failInfoText).
Result<void> CheckCsr(const config::IssuerConfig& cfg, X509_REQ* csr);

// BuildProfile fills an IssueProfile for `csr`.
pki::IssueProfile BuildProfile(const config::IssuerConfig& cfg, X509_REQ* csr,
                               const std::string& device_id);

// Expand replaces {cn} and {device_id} in `text`.
std::string Expand(const std::string& text, const std::string& cn, const std::string& device_id);

}  // namespace keyward::issuer
