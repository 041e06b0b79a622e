#pragma once
// BenchPki: a CA made with pki::InitCa in a temporary directory (as `keyward
// ca init` makes one), loaded, plus helpers to build OCSP requests for it.
#include <memory>
#include <string>

#include "shared/pki/ca_material.h"

namespace keyward::bench {

struct BenchPki {
  std::string dir;
  pki::CaMaterial ca;
};

// MakeBenchPki creates and loads a CA whose delegated OCSP signer has
// `signer_key_type` ("ec-p256", "rsa-2048"); aborts on failure (benchmarks
// have nothing sensible to do without one). The directory is removed at exit.
const BenchPki& MakeBenchPki(const std::string& signer_key_type);

// BenchSerial: the 16-octet serial number `i` (hex, SerialHex form).
std::string BenchSerial(size_t i);

}  // namespace keyward::bench
