// Support for the micro-benchmarks (the file name ends in _bench.cc only so
// the benchmark binary's glob picks it up): a CA per signer key type.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "bench/micro/bench_pki.h"
#include "shared/pki/ca_init.h"

namespace keyward::bench {

const BenchPki& MakeBenchPki(const std::string& signer_key_type) {
  static std::map<std::string, std::unique_ptr<BenchPki>> made;
  auto it = made.find(signer_key_type);
  if (it != made.end()) return *it->second;
  char tmpl[] = "/tmp/keyward-microbench-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) std::abort();
  auto pki = std::make_unique<BenchPki>();
  pki->dir = tmpl;
  config::CaConfig cfg;
  cfg.name = "bench";
  cfg.cert = pki->dir + "/ca.pem";
  cfg.key = pki->dir + "/ca.key";
  cfg.ocsp_signer_cert = pki->dir + "/ocsp.pem";
  cfg.ocsp_signer_key = pki->dir + "/ocsp.key";
  cfg.ra_cert = pki->dir + "/ra.pem";
  cfg.ra_key = pki->dir + "/ra.key";
  cfg.ocsp_signer_key_type = signer_key_type;
  Result<std::vector<std::string>> created = pki::InitCa(cfg);
  if (!created) {
    std::fprintf(stderr, "InitCa: %s\n", created.error().c_str());
    std::abort();
  }
  Result<pki::CaMaterial> ca = pki::LoadCa(cfg, pki::KeyUse::kOcspOnly);
  std::error_code ec;
  std::filesystem::remove_all(pki->dir, ec);  // loaded; the files are not needed
  if (!ca) {
    std::fprintf(stderr, "LoadCa: %s\n", ca.error().c_str());
    std::abort();
  }
  pki->ca = std::move(*ca);
  return *(made[signer_key_type] = std::move(pki));
}

std::string BenchSerial(size_t i) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "4B57%028zX", i + 1);
  return buf;
}

}  // namespace keyward::bench
