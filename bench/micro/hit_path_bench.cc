// The responder's hit path, piece by piece and whole: parse an OCSP request,
// hash and look up its key among 100,000 cached answers, decode a GET target,
// and one complete answer (HTTP parse, OCSP parse, lookup, response bytes)
// into a connection-sized buffer.
#include <benchmark/benchmark.h>

#include <ctime>
#include <string>
#include <vector>

#include "bench/load/corpus_writer.h"
#include "bench/load/ocsp_request_builder.h"
#include "bench/micro/bench_pki.h"
#include "responder/cache_entry.h"
#include "responder/http_parser.h"
#include "responder/http_response.h"
#include "responder/response_cache.h"
#include "shared/ocsp/get_decoder.h"
#include "shared/ocsp/request.h"

namespace keyward::bench {
namespace {

constexpr size_t kCached = 100'000;
constexpr size_t kResponseBytes =
    700;  // about what an ECDSA-signed answer with its signer cert weighs

der::Bytes AsBytes(const std::string& s) {
  return der::Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// Cache: 100,000 entries x 2 hash algorithms, as a warmed responder holds.
struct Fixture {
  responder::ResponseCache cache;
  std::vector<std::string> requests;  // SHA-1 POST bodies, for some of the cached serials
  std::vector<std::string> targets;   // the same as GET targets
  int64_t now = std::time(nullptr);

  Fixture() {
    const BenchPki& pki = MakeBenchPki("ec-p256");
    store::StoredResponse resp;
    resp.this_update = now - 60;
    resp.next_update = now + 86400;
    resp.der.assign(kResponseBytes, '\x30');
    for (size_t i = 0; i < kCached; ++i) {
      for (ocsp::HashAlg alg : {ocsp::HashAlg::kSha1, ocsp::HashAlg::kSha256}) {
        responder::CacheKey key;
        if (!responder::MakeKeyFromHex(0, alg, BenchSerial(i), &key)) std::abort();
        cache.Insert(responder::CacheEntry::Create(key, resp, responder::EntryKind::kPrecomputed,
                                                   resp.next_update),
                     cache.Epoch());
      }
    }
    for (size_t i = 0; i < kCached; i += kCached / 1024) {
      requests.push_back(RequestFor(pki.ca.cert.get(), BenchSerial(i), ocsp::HashAlg::kSha1));
      targets.push_back(GetTarget(requests.back()));
    }
  }
};

Fixture& F() {
  static Fixture f;
  return f;
}

void BM_ParseRequest(benchmark::State& state) {
  Fixture& f = F();
  size_t i = 0;
  for (auto _ : state) {
    ocsp::Request req;
    ocsp::ParseError e = ocsp::ParseRequest(AsBytes(f.requests[i++ % f.requests.size()]), &req);
    benchmark::DoNotOptimize(e);
    benchmark::DoNotOptimize(req.cert_id_count);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseRequest);

void BM_KeyHashLookup(benchmark::State& state) {
  Fixture& f = F();
  std::vector<ocsp::Request> parsed(f.requests.size());
  for (size_t k = 0; k < f.requests.size(); ++k) {
    if (ocsp::ParseRequest(AsBytes(f.requests[k]), &parsed[k]) != ocsp::ParseError::kOk)
      std::abort();
  }
  size_t i = 0, hits = 0;
  for (auto _ : state) {
    const ocsp::CertId& id = parsed[i++ % parsed.size()].cert_ids[0];
    responder::CacheKey key;
    if (!responder::MakeKey(0, id.hash, id.serial, &key)) std::abort();
    hits += f.cache.Visit(
        key, f.now, [](const responder::CacheEntry& e) { benchmark::DoNotOptimize(e.der_size()); });
  }
  if (hits != static_cast<size_t>(state.iterations())) state.SkipWithError("lookups missed");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KeyHashLookup);

void BM_GetDecode(benchmark::State& state) {
  Fixture& f = F();
  std::vector<uint8_t> buf(ocsp::kMaxGetDerBytes);
  size_t i = 0;
  for (auto _ : state) {
    der::Bytes der = ocsp::DecodeGetTarget(f.targets[i++ % f.targets.size()], buf);
    benchmark::DoNotOptimize(der.size());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GetDecode);

// HitPathSink answers each parsed HTTP request the way the responder's hit
// path does: OCSP parse, key, cache visit, response bytes appended.
class HitPathSink : public responder::RequestSink {
 public:
  HitPathSink(Fixture& f, std::vector<uint8_t>& out) : f_(f), out_(out) {}
  void OnMessageBegin() override {}
  responder::SinkAction OnRequest(const responder::HttpRequest& req) override {
    ocsp::Request parsed;
    if (ocsp::ParseRequest(req.body, &parsed) != ocsp::ParseError::kOk) std::abort();
    const ocsp::CertId& id = parsed.cert_ids[0];
    responder::CacheKey key;
    if (!responder::MakeKey(0, id.hash, id.serial, &key)) std::abort();
    responder::ReplyHead head;
    head.date = "Tue, 01 Dec 2026 00:00:00 GMT";
    bool hit = f_.cache.Visit(key, f_.now, [&](const responder::CacheEntry& e) {
      responder::AppendCachedOcsp(out_, head, e, f_.now, false);
    });
    if (!hit) std::abort();
    return responder::SinkAction::kContinue;
  }

 private:
  Fixture& f_;
  std::vector<uint8_t>& out_;
};

void BM_HitPathResponse(benchmark::State& state) {
  Fixture& f = F();
  std::vector<std::string> wire;
  for (const std::string& body : f.requests) {
    wire.push_back(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/ocsp-request\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body);
  }
  std::vector<uint8_t> out;
  out.reserve(4096);
  HitPathSink sink(f, out);
  responder::HttpRequestParser parser(responder::HttpLimits{}, &sink);
  size_t i = 0;
  for (auto _ : state) {
    out.clear();
    const std::string& w = wire[i++ % wire.size()];
    size_t consumed = 0;
    if (parser.Feed(w.data(), w.size(), &consumed) !=
        responder::HttpRequestParser::Status::kConsumed) {
      state.SkipWithError("HTTP parse failed");
      break;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * out.size()));
}
BENCHMARK(BM_HitPathResponse);

}  // namespace
}  // namespace keyward::bench
