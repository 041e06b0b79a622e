#include "shared/status/status_publisher.h"

namespace keyward::status {

const pki::CaMaterial* StatusPublisher::FindCa(const std::string& name) const {
  return signers_.FindCa(name);
}

Result<store::CertUpdate> StatusPublisher::BuildUpdate(const store::CertRecord& record,
                                                       int64_t now) const {
  const ocsp::ResponseSigner* signer = signers_.FindSigner(record.ca);
  if (signer == nullptr) return Fail("unknown CA '" + record.ca + "'");
  ocsp::Validity validity{now, ocsp_.validity_s, ocsp_.backdate_s};
  store::CertUpdate update;
  update.record = record;
  update.record.updated_at = now;
  for (ocsp::HashAlg alg : kPrecomputedAlgs) {
    Result<store::StoredResponse> signed_response = signer->SignPrecomputed(record, alg, validity);
    if (!signed_response) {
      return Fail("signing " + record.ca + "/" + record.serial_hex + ": " +
                  signed_response.error());
    }
    update.responses.emplace_back(alg, std::move(*signed_response));
  }
  return update;
}

Result<uint64_t> StatusPublisher::Publish(const store::CertRecord& record, int64_t now) const {
  Result<store::CertUpdate> update = BuildUpdate(record, now);
  if (!update) return Fail(update.error());
  return store_.Apply(*update);
}

Result<void> StatusPublisher::PublishBatch(const std::vector<store::CertRecord>& records,
                                           int64_t now) const {
  std::vector<store::CertUpdate> updates;
  updates.reserve(records.size());
  for (const store::CertRecord& record : records) {
    Result<store::CertUpdate> update = BuildUpdate(record, now);
    if (!update) return Fail(update.error());
    updates.push_back(std::move(*update));
  }
  return store_.ApplyBatch(updates);
}

}  // namespace keyward::status
