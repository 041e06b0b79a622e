#pragma once
// Store updates for the warm-up tests: a record and its two precomputed
// responses (SHA-1, SHA-256) with DER bytes that name what they stand for,
// so a test can tell which value reached the cache.
#include <cstdint>
#include <ctime>
#include <string>

#include "shared/ocsp/cert_id.h"
#include "shared/store/store.h"

namespace keyward::responder::test_data {

inline int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

inline std::string FakeDer(const std::string& ca, ocsp::HashAlg alg, const std::string& serial,
                           ocsp::CertStatus status) {
  return "der/" + ca + "/" + std::string(ocsp::HashAlgName(alg)) + "/" + serial + "/" +
         std::string(ocsp::CertStatusName(status));
}

inline store::CertUpdate Update(const std::string& ca, const std::string& serial,
                                ocsp::CertStatus status, int64_t next_update) {
  store::CertUpdate u;
  u.record.ca = ca;
  u.record.serial_hex = serial;
  u.record.status = status;
  if (status == ocsp::CertStatus::kRevoked) {
    u.record.revoked_at = Now();
    u.record.reason = ocsp::RevocationReason::kKeyCompromise;
  }
  for (ocsp::HashAlg alg : {ocsp::HashAlg::kSha1, ocsp::HashAlg::kSha256}) {
    store::StoredResponse r;
    r.status = status;
    r.reason = u.record.reason;
    r.revoked_at = u.record.revoked_at;
    r.this_update = Now() - 60;
    r.next_update = next_update;
    r.der = FakeDer(ca, alg, serial, status);
    u.responses.emplace_back(alg, r);
  }
  return u;
}

}  // namespace keyward::responder::test_data
