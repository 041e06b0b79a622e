// Live signing: one nonce response (one SingleResponse, a 16-octet nonce
// echoed) signed by the delegated signer, ECDSA P-256 and RSA-2048. main_bench
// prints `openssl speed` for the same keys beside these figures.
#include <benchmark/benchmark.h>

#include <ctime>

#include "bench/load/corpus_writer.h"
#include "bench/micro/bench_pki.h"
#include "shared/ocsp/request.h"
#include "shared/ocsp/response_signer.h"

namespace keyward::bench {
namespace {

void SignLive(benchmark::State& state, const char* key_type) {
  const BenchPki& pki = MakeBenchPki(key_type);
  ocsp::ResponseSigner signer(pki.ca);
  std::string request = RequestFor(pki.ca.cert.get(), BenchSerial(7), ocsp::HashAlg::kSha1);
  ocsp::Request parsed;
  if (ocsp::ParseRequest(
          der::Bytes(reinterpret_cast<const uint8_t*>(request.data()), request.size()), &parsed) !=
      ocsp::ParseError::kOk) {
    state.SkipWithError("request does not parse");
    return;
  }
  ocsp::LiveItem item;
  item.cert_id_der = parsed.cert_ids[0].raw;
  item.status = ocsp::CertStatus::kGood;
  // extnValue of a nonce extension: OCTET STRING { 16 octets }.
  uint8_t nonce[18] = {0x04, 16, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  ocsp::Validity validity{std::time(nullptr), 86400, 60};
  for (auto _ : state) {
    ++nonce[2];
    Result<std::string> der =
        signer.SignLive(std::span(&item, 1), der::Bytes(nonce, sizeof(nonce)), validity);
    if (!der) {
      state.SkipWithError(der.error().c_str());
      break;
    }
    benchmark::DoNotOptimize(der->data());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_SignLiveEcdsaP256(benchmark::State& state) { SignLive(state, "ec-p256"); }
void BM_SignLiveRsa2048(benchmark::State& state) { SignLive(state, "rsa-2048"); }
BENCHMARK(BM_SignLiveEcdsaP256)->MinTime(2.0);
BENCHMARK(BM_SignLiveRsa2048)->MinTime(2.0);

}  // namespace
}  // namespace keyward::bench
