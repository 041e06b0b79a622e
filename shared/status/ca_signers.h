#pragma once
// CaSigners: one ocsp::ResponseSigner per CA, built once and shared. A
// ResponseSigner learns its template by signing one response when it is
// made, so anything that publishes often (the issuer, once per enrollment)
// keeps one CaSigners rather than making signers per call. Thread-safe
// after construction.
#include <string>
#include <vector>

#include "shared/ocsp/response_signer.h"
#include "shared/pki/ca_material.h"

namespace keyward::status {

class CaSigners {
 public:
  // `cas` must outlive this object and not change size.
  explicit CaSigners(const std::vector<pki::CaMaterial>& cas);

  // Find: the CA named `name` and its signer, or nullptr for both.
  const pki::CaMaterial* FindCa(const std::string& name) const;
  const ocsp::ResponseSigner* FindSigner(const std::string& name) const;

 private:
  const std::vector<pki::CaMaterial>& cas_;
  std::vector<ocsp::ResponseSigner> signers_;  // parallel to cas_
};

}  // namespace keyward::status
