#pragma once
// Corpus: the OCSP requests a load run draws from, each with the status the
// answer must state. On disk it is either
//  - a file: "# keyward-bench corpus v1", then one line per request:
//    "<good|revoked|unknown> <base64 of a DER OCSPRequest>"; or
//  - a directory of "*.der" requests, each named "<status>-<anything>.der".
// The first CertID of each request is kept; the load generator rebuilds the
// request around it, with or without a nonce, as POST or GET.
#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "shared/ocsp/cert_id.h"
#include "shared/ocsp/status.h"
#include "shared/result.h"

namespace keyward::bench {

struct CorpusEntry {
  ocsp::CertStatus expected = ocsp::CertStatus::kGood;
  ocsp::HashAlg alg = ocsp::HashAlg::kSha1;
  std::string serial_hex;
  std::string cert_id_der;  // the CertID TLV
  std::string post_body;    // OCSPRequest without a nonce
  std::string get_target;   // "/" + percent-encoded base64 of post_body
};

class Corpus {
 public:
  // Load reads a corpus file or directory. Errors name the file.
  static Result<Corpus> Load(const std::string& path);
  // Add parses one DER OCSPRequest; false when it has no CertID.
  bool Add(const std::string& request_der, ocsp::CertStatus expected);

  const std::vector<CorpusEntry>& entries() const { return entries_; }
  // Pool: indexes of entries with this status and CertID hash.
  const std::vector<uint32_t>& Pool(ocsp::CertStatus status, ocsp::HashAlg alg) const {
    return pools_[static_cast<size_t>(status)][static_cast<size_t>(alg) - 1];
  }

 private:
  std::vector<CorpusEntry> entries_;
  std::array<std::array<std::vector<uint32_t>, ocsp::kHashAlgCount>, 3> pools_;
};

// StatusFromName / StatusName: "good", "revoked", "unknown".
std::optional<ocsp::CertStatus> StatusFromName(std::string_view name);
const char* StatusName(ocsp::CertStatus status);

// RequestMix: how a run draws requests from the corpus.
struct RequestMix {
  double good = 99, revoked = 1, unknown = 0;  // relative weights
  double sha256_fraction = 0;
  double get_fraction = 0;    // the rest are POST
  double nonce_fraction = 0;  // requests carrying a fresh random nonce
};

// MixPicker draws entries; Check says which pool a mix needs and lacks.
class MixPicker {
 public:
  MixPicker(const Corpus& corpus, const RequestMix& mix) : corpus_(corpus), mix_(mix) {}
  Result<void> Check() const;
  uint32_t Pick(std::mt19937_64& rng) const;

 private:
  const Corpus& corpus_;
  RequestMix mix_;
};

// ParseMix reads "good=99,revoked=1,unknown=0".
Result<RequestMix> ParseMix(const std::string& text, RequestMix base);

}  // namespace keyward::bench
