#pragma once
// SampleVerifier: checks sampled answers after a run, off the timed path:
// the signature chains to the given CA (OCSP_basic_verify: signer included in
// the response, EKU id-kp-OCSPSigning), the status for the requested CertID,
// the validity window, and the nonce echo.
#include <cstdint>
#include <string>
#include <vector>

#include "bench/load/corpus.h"
#include "shared/openssl/ptr.h"
#include "shared/result.h"

namespace keyward::bench {

struct Sample {
  uint32_t entry = 0;
  std::string request;   // the DER we sent (with its nonce, if any)
  std::string response;  // the body we got
  bool had_nonce = false;
};

enum class NonceCheck { kRequire, kReport };

struct VerifyReport {
  uint64_t checked = 0;
  uint64_t wrong = 0;                     // bad signature, status, validity or nonce
  uint64_t nonce_echoed = 0;              // among samples that sent a nonce
  uint64_t nonce_missing = 0;             // sent a nonce, none came back
  std::vector<std::string> first_errors;  // up to 10, for the report
};

class SampleVerifier {
 public:
  // Create loads the CA certificate (PEM) the answers must chain to.
  static Result<SampleVerifier> Create(const std::string& ca_cert_path);
  void Verify(const Corpus& corpus, const std::vector<Sample>& samples, NonceCheck nonce,
              VerifyReport* report) const;
  // VerifyOne returns "" when the answer is right, else why not.
  std::string VerifyOne(const CorpusEntry& entry, const Sample& s, NonceCheck nonce,
                        bool* nonce_echoed) const;

 private:
  openssl::X509StorePtr store_;
  openssl::X509Ptr ca_;
};

}  // namespace keyward::bench
