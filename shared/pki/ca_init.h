#pragma once
// CA initialisation for `keyward ca init`: create whichever of the CA, the
// delegated OCSP signer and the RSA RA (SCEP decrypter) files are missing.
#include <string>
#include <vector>

#include "shared/config/config.h"
#include "shared/result.h"

namespace keyward::pki {

// InitCa creates the missing files for `cfg` (which must have `key`):
//  - CA: self-signed, key type cfg.key_type (ec-p256 default; rsa-2048,
//    rsa-3072, rsa-4096), 10 years, basicConstraints CA:TRUE critical,
//    keyUsage keyCertSign+cRLSign+digitalSignature, SKI/AKI.
//  - OCSP signer: cfg.ocsp_signer_key_type (ec-p256 default), issued by the CA,
//    EKU id-kp-OCSPSigning, id-pkix-ocsp-nocheck, keyUsage digitalSignature,
//    2 years.
//  - RA: RSA-2048, issued by the CA, keyUsage digitalSignature+keyEncipherment
//    (what SCEP clients expect), 5 years.
// Keys are written mode 0600. Existing files are never overwritten. Returns
// the list of files created (empty when all existed).
Result<std::vector<std::string>> InitCa(const config::CaConfig& cfg);

}  // namespace keyward::pki
