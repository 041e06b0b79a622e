#pragma once
// CaMaterial: one [[ca]]'s certificates and keys, loaded from files, plus the
// issuer hashes a CertID is matched against. The CA key is loaded only where
// Keyward issues; keys never leave this process (never into Redis).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "shared/config/config.h"
#include "shared/ocsp/cert_id.h"
#include "shared/openssl/ptr.h"
#include "shared/result.h"

namespace keyward::pki {

struct IssuerHashes {
  std::array<uint8_t, 64> name_hash{};
  std::array<uint8_t, 64> key_hash{};
  size_t length = 0;
};

struct CaMaterial {
  std::string name;
  openssl::X509Ptr cert;
  openssl::EvpPkeyPtr key;       // null unless this process issues
  openssl::X509Ptr signer_cert;  // delegated OCSP signer (or the CA itself)
  openssl::EvpPkeyPtr signer_key;
  openssl::X509Ptr ra_cert;  // RSA RA for SCEP key transport; may be null
  openssl::EvpPkeyPtr ra_key;
  // Indexed by static_cast<size_t>(HashAlg) - 1.
  std::array<IssuerHashes, ocsp::kHashAlgCount> hashes{};
  bool unknown_as_revoked = false;

  // Matches: the CertID names this CA (hash algorithm, name and key hash).
  bool Matches(const ocsp::CertId& id) const;
  const IssuerHashes& Hashes(ocsp::HashAlg alg) const {
    return hashes[static_cast<size_t>(alg) - 1];
  }
};

enum class KeyUse { kOcspOnly, kIssuing };

// LoadCa reads the files named in `cfg`. With kIssuing the CA key (and RA
// files when present) are loaded too. When no delegated signer is configured
// the CA signs its own responses (needs the CA key). Errors name the file.
Result<CaMaterial> LoadCa(const config::CaConfig& cfg, KeyUse use);

// LoadCertificatePem / LoadPrivateKeyPem: one PEM object from a file.
Result<openssl::X509Ptr> LoadCertificatePem(const std::string& path);
Result<openssl::EvpPkeyPtr> LoadPrivateKeyPem(const std::string& path);

}  // namespace keyward::pki
