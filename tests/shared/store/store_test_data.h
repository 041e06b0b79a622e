#pragma once
// Test updates for the store tests: records with response "DER" that holds
// NUL bytes and every byte value, so any C-string handling on the way to
// Redis and back truncates or corrupts it visibly.
#include <string>

#include "shared/store/store.h"

namespace keyward::store {

inline std::string BinaryDer(const std::string& serial, size_t extra = 64) {
  std::string der("\x30\x82\x00\x00\x0a\x01\x00", 7);
  der.append(serial);
  for (size_t i = 0; i < extra; ++i) der.push_back(static_cast<char>(i & 0xFF));
  der.push_back('\0');
  return der;
}

inline CertUpdate MakeUpdate(const std::string& ca, const std::string& serial,
                             ocsp::CertStatus status = ocsp::CertStatus::kGood) {
  CertUpdate u;
  u.record.ca = ca;
  u.record.serial_hex = serial;
  u.record.status = status;
  if (status == ocsp::CertStatus::kRevoked) {
    u.record.revoked_at = 1'700'000'500;
    u.record.reason = ocsp::RevocationReason::kKeyCompromise;
  }
  u.record.not_before = 1'700'000'000;
  u.record.not_after = 1'800'000'000;
  u.record.subject = "CN=device " + serial + ",O=Keyward Test";
  u.record.device_id = "dev-" + serial;
  u.record.source = Source::kDirectory;
  u.record.updated_at = 1'700'000'600;
  for (ocsp::HashAlg alg : {ocsp::HashAlg::kSha1, ocsp::HashAlg::kSha256}) {
    StoredResponse r;
    r.status = status;
    r.reason = u.record.reason;
    r.revoked_at = u.record.revoked_at;
    r.this_update = 1'700'000'540;
    r.next_update = 1'700'086'940;
    r.der = BinaryDer(serial + (alg == ocsp::HashAlg::kSha1 ? "-1" : "-256"));
    u.responses.emplace_back(alg, std::move(r));
  }
  return u;
}

}  // namespace keyward::store
