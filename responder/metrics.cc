#include "responder/metrics.h"

#include <string_view>

namespace keyward::responder {
namespace {

constexpr std::string_view kOutcomeNames[] = {"good",         "revoked",  "unknown", "malformed",
                                              "unauthorized", "trylater", "internal"};
constexpr std::string_view kMethodNames[] = {"GET", "POST", "other"};

uint64_t Load(const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); }

void Line(std::string& out, std::string_view name, std::string_view labels, uint64_t v) {
  out.append(name);
  if (!labels.empty()) {
    out.push_back('{');
    out.append(labels);
    out.push_back('}');
  }
  out.push_back(' ');
  out.append(std::to_string(v));
  out.push_back('\n');
}

void Help(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

}  // namespace

void WorkerMetrics::Observe(uint64_t micros) {
  size_t i = 0;
  while (i < kLatencyBucketsUs.size() && micros > kLatencyBucketsUs[i]) ++i;
  latency[i].fetch_add(1, std::memory_order_relaxed);
  latency_sum_us.fetch_add(micros, std::memory_order_relaxed);
}

Metrics::Metrics(size_t n) {
  for (size_t i = 0; i < n; ++i) workers.push_back(std::make_unique<WorkerMetrics>());
}

std::string Metrics::Render(size_t cache_entries, size_t cache_bytes, bool cache_trusted) const {
  std::string out;
  out.reserve(4096);
  auto sum = [&](auto field) {
    uint64_t total = 0;
    for (const auto& w : workers) total += Load((*w).*field);
    return total;
  };

  Help(out, "keyward_ocsp_requests_total", "counter", "OCSP answers by result.");
  for (size_t o = 0; o < static_cast<size_t>(Outcome::kCount); ++o) {
    uint64_t total = 0;
    for (const auto& w : workers) total += Load(w->outcomes[o]);
    Line(out, "keyward_ocsp_requests_total",
         std::string("result=\"").append(kOutcomeNames[o]).append("\""), total);
  }
  Help(out, "keyward_http_requests_total", "counter", "HTTP requests by method.");
  for (size_t m = 0; m < static_cast<size_t>(MethodKind::kCount); ++m) {
    uint64_t total = 0;
    for (const auto& w : workers) total += Load(w->methods[m]);
    Line(out, "keyward_http_requests_total",
         std::string("method=\"").append(kMethodNames[m]).append("\""), total);
  }
  Help(out, "keyward_http_errors_total", "counter", "Requests refused at the HTTP layer.");
  Line(out, "keyward_http_errors_total", "", sum(&WorkerMetrics::http_errors));
  Help(out, "keyward_wrong_content_type_total", "counter",
       "POSTs whose Content-Type was not application/ocsp-request (still answered).");
  Line(out, "keyward_wrong_content_type_total", "", sum(&WorkerMetrics::wrong_content_type));
  Help(out, "keyward_cache_hits_total", "counter", "Answers served from the cache.");
  Line(out, "keyward_cache_hits_total", "", sum(&WorkerMetrics::cache_hits));
  Help(out, "keyward_cache_misses_total", "counter", "Lookups that went to Redis.");
  Line(out, "keyward_cache_misses_total", "", sum(&WorkerMetrics::cache_misses));
  Help(out, "keyward_cache_stale_refused_total", "counter",
       "Fetched responses not cached because their certificate changed meanwhile.");
  Line(out, "keyward_cache_stale_refused_total", "", sum(&WorkerMetrics::stale_refused));
  Help(out, "keyward_cache_entries", "gauge", "Responses held in the cache.");
  Line(out, "keyward_cache_entries", "", cache_entries);
  Help(out, "keyward_cache_bytes", "gauge", "Bytes held by cache entries and tables.");
  Line(out, "keyward_cache_bytes", "", cache_bytes);
  Help(out, "keyward_cache_trusted", "gauge", "1 when the cache is in sync with Redis.");
  Line(out, "keyward_cache_trusted", "", cache_trusted ? 1 : 0);
  Help(out, "keyward_cache_expired_dropped_total", "counter", "Entries dropped past nextUpdate.");
  Line(out, "keyward_cache_expired_dropped_total", "", Load(expired_dropped));

  Help(out, "keyward_request_duration_seconds", "histogram",
       "Time from a complete request to its answer being queued.");
  uint64_t cumulative = 0;
  for (size_t b = 0; b <= kLatencyBucketsUs.size(); ++b) {
    for (const auto& w : workers) cumulative += Load(w->latency[b]);
    std::string le = b < kLatencyBucketsUs.size() ? std::to_string(kLatencyBucketsUs[b] / 1e6)
                                                  : std::string("+Inf");
    Line(out, "keyward_request_duration_seconds_bucket", "le=\"" + le + "\"", cumulative);
  }
  out.append("keyward_request_duration_seconds_sum ")
      .append(std::to_string(sum(&WorkerMetrics::latency_sum_us) / 1e6))
      .append("\n");
  Line(out, "keyward_request_duration_seconds_count", "", cumulative);

  Help(out, "keyward_redis_connected", "gauge", "1 when the connection is up (by role).");
  Line(out, "keyward_redis_connected", "role=\"subscriber\"", subscriber_connected.load() ? 1 : 0);
  for (size_t i = 0; i < workers.size(); ++i) {
    Line(out, "keyward_redis_connected", "role=\"worker" + std::to_string(i) + "\"",
         workers[i]->redis_connected.load() ? 1 : 0);
  }
  Help(out, "keyward_redis_fetches_total", "counter", "Miss-path GETs sent to Redis.");
  Line(out, "keyward_redis_fetches_total", "", sum(&WorkerMetrics::redis_fetches));
  Help(out, "keyward_store_generation", "gauge", "Last store generation applied.");
  Line(out, "keyward_store_generation", "", Load(generation));
  Help(out, "keyward_invalidations_total", "counter", "Invalidations applied.");
  Line(out, "keyward_invalidations_total", "", Load(invalidations));
  Help(out, "keyward_resyncs_total", "counter", "Resynchronisations after a reconnect.");
  Line(out, "keyward_resyncs_total", "", Load(resyncs));
  Help(out, "keyward_full_reloads_total", "counter", "Whole-cache reloads.");
  Line(out, "keyward_full_reloads_total", "", Load(full_reloads));
  Help(out, "keyward_warm_entries", "gauge", "Entries loaded by the last warm-up.");
  Line(out, "keyward_warm_entries", "", Load(warm_entries));
  Help(out, "keyward_warm_milliseconds", "gauge", "Duration of the last warm-up.");
  Line(out, "keyward_warm_milliseconds", "", Load(warm_ms));

  Help(out, "keyward_connections_open", "gauge", "Open client connections.");
  Line(out, "keyward_connections_open", "", static_cast<uint64_t>(connections_open.load()));
  Help(out, "keyward_connections_total", "counter", "Client connections accepted.");
  Line(out, "keyward_connections_total", "", sum(&WorkerMetrics::connections_accepted));
  Help(out, "keyward_connections_refused_total", "counter", "Connections over max_connections.");
  Line(out, "keyward_connections_refused_total", "", sum(&WorkerMetrics::connections_refused));

  Help(out, "keyward_live_signatures_total", "counter", "Responses signed live.");
  Line(out, "keyward_live_signatures_total", "", Load(live_signatures));
  Help(out, "keyward_live_trylater_total", "counter",
       "Live-signing jobs answered tryLater (queue full or deadline passed).");
  Line(out, "keyward_live_trylater_total", "", Load(live_trylater));
  Help(out, "keyward_signer_queue_depth", "gauge", "Live-signing jobs waiting.");
  Line(out, "keyward_signer_queue_depth", "", static_cast<uint64_t>(signer_queue_depth.load()));
  Help(out, "keyward_negative_cache_hits_total", "counter", "Unknown answers served from cache.");
  Line(out, "keyward_negative_cache_hits_total", "", Load(negative_hits));
  Help(out, "keyward_live_redis_lookups_total", "counter", "Record lookups by signer threads.");
  Line(out, "keyward_live_redis_lookups_total", "", Load(live_redis_lookups));
  return out;
}

}  // namespace keyward::responder
