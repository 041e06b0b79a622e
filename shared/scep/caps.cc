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
  // both are loaded. The handles stay loaded for the life of the process and
  // are kept here so that they stay reachable.
  static OSSL_PROVIDER* default_provider = nullptr;
  static OSSL_PROVIDER* legacy_provider = nullptr;
  static const bool loaded = [] {
    default_provider = OSSL_PROVIDER_load(nullptr, "default");
    legacy_provider = OSSL_PROVIDER_load(nullptr, "legacy");
    openssl::DrainErrors();
    return default_provider != nullptr && legacy_provider != nullptr;
  }();
  return loaded;
}

}  // namespace keyward::scep
