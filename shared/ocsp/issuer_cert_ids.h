#pragma once
// IssuerCertIds encodes the CertID (RFC 6960 4.1.1) of any serial of one
// issuer, for each CertID hash algorithm. The issuer's name and key hashes
// are computed once, by OpenSSL's OCSP_cert_id_new, so the encoding is the
// one OpenSSL gives; per serial only the INTEGER is appended.
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include <openssl/x509.h>

#include "shared/ocsp/cert_id.h"
#include "shared/result.h"

namespace keyward::ocsp {

class IssuerCertIds {
 public:
  static Result<IssuerCertIds> For(X509* issuer);

  // Encode writes the CertID TLV for the serial named by `serial_hex`
  // (ocsp::SerialHex text: hex digits, no sign octet) into `out`. Fails on
  // text that is not 1 to 2 * kMaxSerialBytes hex digits.
  Result<void> Encode(HashAlg alg, std::string_view serial_hex, std::vector<uint8_t>* out) const;

 private:
  // Per algorithm: hashAlgorithm, issuerNameHash and issuerKeyHash TLVs.
  std::array<std::vector<uint8_t>, kHashAlgCount> prefix_;
};

}  // namespace keyward::ocsp
