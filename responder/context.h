#pragma once
// Context: what every worker loop, the subscriber and the signer pool share.
// Built once at start-up; afterwards only atomics and the cache change.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "responder/metrics.h"
#include "responder/response_cache.h"
#include "responder/shared_tail.h"
#include "shared/config/config.h"
#include "shared/ocsp/response_signer.h"
#include "shared/pki/ca_material.h"
#include "shared/store/keys.h"

namespace keyward::responder {

class SignerPool;

// Clock is injected so tests can move time; the default is the system clock.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowSeconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  // Monotonic microseconds, for latency.
  virtual uint64_t MonotonicMicros() const {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
  }
};

struct Context {
  Context(const config::Config& cfg, std::vector<pki::CaMaterial> cas_in, size_t workers,
          const Clock* clock_in)
      : store(cfg.store),
        ocsp(cfg.ocsp),
        responder(cfg.responder),
        cas(std::move(cas_in)),
        keys(cfg.store.key_prefix),
        metrics(workers),
        clock(clock_in) {
    for (const pki::CaMaterial& ca : cas)
      signer_tails.push_back(SignerCertsTail(ca.signer_cert.get()));
  }

  config::StoreConfig store;
  config::OcspConfig ocsp;
  config::ResponderConfig responder;
  std::vector<pki::CaMaterial> cas;
  store::Keys keys;
  // signer_tails[i]: SignerCertsTail of cas[i]'s signer, shared by its cache
  // entries; declared before the cache, so it outlives every entry.
  std::vector<std::string> signer_tails;
  ResponseCache cache;
  Metrics metrics;
  const Clock* clock;
  SignerPool* signer = nullptr;  // null until live signing is wired
  // True once the subscriber has warmed (or resynchronised) the cache and is
  // subscribed; until then answers come from Redis, not the cache.
  std::atomic<bool> trusted{false};
  std::atomic<int64_t> connections{0};

  std::string_view SharedTail(uint16_t ca) const {
    return ca < signer_tails.size() ? std::string_view(signer_tails[ca]) : std::string_view();
  }

  // FindCaIndex: the [[ca]] named `name`, or -1.
  int FindCaIndex(std::string_view name) const {
    for (size_t i = 0; i < cas.size(); ++i) {
      if (cas[i].name == name) return static_cast<int>(i);
    }
    return -1;
  }
};

}  // namespace keyward::responder
