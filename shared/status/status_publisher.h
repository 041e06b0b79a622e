#pragma once
// StatusPublisher: turns a certificate record into its signed responses (one
// per precomputed CertID hash) and applies them to the store in one atomic
// step, which also publishes the invalidation every responder listens for.
// Used by `keyward issue/revoke`, the issuer and the poller.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "shared/config/config.h"
#include "shared/ocsp/response_signer.h"
#include "shared/pki/ca_material.h"
#include "shared/result.h"
#include "shared/status/ca_signers.h"
#include "shared/store/store.h"

namespace keyward::status {

// The CertID hash algorithms whose responses are precomputed. Others (SHA-384,
// SHA-512) are answered by live signing.
inline constexpr ocsp::HashAlg kPrecomputedAlgs[] = {ocsp::HashAlg::kSha1, ocsp::HashAlg::kSha256};

class StatusPublisher {
 public:
  // `cas` and `store` must outlive the publisher. Makes its own signers
  // (one signature per CA): for a publisher that lives a while.
  StatusPublisher(store::StoreWriter& store, const std::vector<pki::CaMaterial>& cas,
                  const config::OcspConfig& ocsp)
      : store_(store), owned_(std::make_unique<CaSigners>(cas)), signers_(*owned_), ocsp_(ocsp) {}
  // Shares `signers`, which must outlive the publisher: for one made per
  // call (the issuer makes one per enrollment, on its backend's store).
  StatusPublisher(store::StoreWriter& store, const CaSigners& signers,
                  const config::OcspConfig& ocsp)
      : store_(store), signers_(signers), ocsp_(ocsp) {}

  // BuildUpdate signs every precomputed variant for `record` at time `now`.
  Result<store::CertUpdate> BuildUpdate(const store::CertRecord& record, int64_t now) const;
  // Publish = BuildUpdate + Apply. Returns the new generation.
  Result<uint64_t> Publish(const store::CertRecord& record, int64_t now) const;
  // PublishBatch signs and applies many records (pipelined).
  Result<void> PublishBatch(const std::vector<store::CertRecord>& records, int64_t now) const;

  const pki::CaMaterial* FindCa(const std::string& name) const;
  store::StoreWriter& store() const { return store_; }

 private:
  store::StoreWriter& store_;
  std::unique_ptr<CaSigners> owned_;
  const CaSigners& signers_;
  config::OcspConfig ocsp_;
};

}  // namespace keyward::status
