#include "shared/scep/caps.h"

#include <openssl/provider.h>

#include "shared/openssl/ptr.h"

namespace keyward::scep {

std::string CapsText(LegacyClients legacy, bool next_ca_cert) {
  std::string caps = "POSTPKIOperation\nSHA-256\nSHA-512\nAES\nSCEPStandard\nRenewal\n";
  if (next_ca_cert) caps += "GetNextCACert\n";
  if (legacy == LegacyClients::kOn) caps += "SHA-1\nDES3\n";
  return caps;
}

bool LoadLegacyProvider() {
  // Loading "legacy" explicitly disables the implicit default provider, so
  // both are loaded. Providers stay loaded for the life of the process.
  static const bool loaded = [] {
    OSSL_PROVIDER* def = OSSL_PROVIDER_load(nullptr, "default");
    OSSL_PROVIDER* legacy = OSSL_PROVIDER_load(nullptr, "legacy");
    openssl::DrainErrors();
    return def != nullptr && legacy != nullptr;
  }();
  return loaded;
}

}  // namespace keyward::scep
