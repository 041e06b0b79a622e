#include "shared/status/ca_signers.h"

namespace keyward::status {

CaSigners::CaSigners(const std::vector<pki::CaMaterial>& cas) : cas_(cas) {
  signers_.reserve(cas.size());
  for (const pki::CaMaterial& ca : cas) signers_.emplace_back(ca);
}

const pki::CaMaterial* CaSigners::FindCa(const std::string& name) const {
  for (const pki::CaMaterial& ca : cas_) {
    if (ca.name == name) return &ca;
  }
  return nullptr;
}

const ocsp::ResponseSigner* CaSigners::FindSigner(const std::string& name) const {
  for (size_t i = 0; i < cas_.size(); ++i) {
    if (cas_[i].name == name) return &signers_[i];
  }
  return nullptr;
}

}  // namespace keyward::status
