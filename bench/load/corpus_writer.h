#pragma once
// CorpusWriter: writes the corpus file format Corpus::Load reads, from an
// issuer certificate and serials (no leaf certificates needed: a CertID is the
// issuer's name and key hashes plus the serial).
#include <cstdio>
#include <string>
#include <string_view>

#include <openssl/x509.h>

#include "shared/ocsp/cert_id.h"
#include "shared/ocsp/status.h"
#include "shared/result.h"

namespace keyward::bench {

// RequestFor: a DER OCSPRequest (no nonce) for `serial_hex` under `issuer`,
// with a CertID hashed by `alg`; "" on an unusable serial.
std::string RequestFor(X509* issuer, std::string_view serial_hex, ocsp::HashAlg alg);

class CorpusWriter {
 public:
  ~CorpusWriter();
  Result<void> Open(const std::string& path);
  // Add writes one line; false when the file could not be written.
  bool Add(ocsp::CertStatus expected, const std::string& request_der);
  Result<void> Close();
  size_t count() const { return count_; }

 private:
  FILE* f_ = nullptr;
  std::string path_;
  size_t count_ = 0;
};

}  // namespace keyward::bench
