#pragma once
// RunLoad: the OCSP load generator's engine, one libuv loop on one core.
//  - Closed loop: N connections, each sends its next request when the last
//    answer arrives; latency runs from the send.
//  - Open loop: requests are due at a fixed rate whatever the server does;
//    latency runs from the time each was due, so a stalled server shows up in
//    the tail instead of hiding it (no coordinated omission).
// Keep-alive uses HTTP/1.1 connections opened up front; new-connection mode
// opens one HTTP/1.0 connection per request with no Host header, as ISE,
// ClearPass and FreeRADIUS ask. Every run stops by itself: after its duration
// or request count, plus at most one request timeout to drain.
#include <cstdint>
#include <string>
#include <vector>

#include "bench/load/corpus.h"
#include "bench/load/histogram.h"
#include "bench/load/sample_verifier.h"
#include "shared/result.h"

namespace keyward::bench {

enum class LoopKind { kClosed, kOpen };
enum class ConnMode { kKeepAlive, kNewConnection };

struct LoadOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string path = "/";  // POST target; GET targets are path + base64
  LoopKind loop = LoopKind::kClosed;
  ConnMode conn_mode = ConnMode::kKeepAlive;
  int connections = 16;  // closed: concurrency; open: the most in flight
  double rate = 0;       // open loop: requests per second
  double duration_s = 10;
  double warmup_s = 1;        // answers to requests begun earlier are not recorded
  uint64_t max_requests = 0;  // 0: no cap besides the duration
  int timeout_ms = 5000;      // per request
  RequestMix mix;
  uint32_t verify_every = 100;  // keep every n-th answer for verification
  size_t max_samples = 2000;
  uint64_t seed = 1;
  bool progress = true;
};

struct LoadResult {
  Histogram latency;              // ns, answers recorded after the warm-up
  double measured_s = 0;          // from the end of the warm-up to the last answer
  uint64_t recorded = 0;          // answers in the histogram
  uint64_t completed = 0;         // all answers, warm-up included
  uint64_t http_errors = 0;       // status other than 200
  uint64_t ocsp_errors = 0;       // responseStatus other than successful
  uint64_t transport_errors = 0;  // connect failures, resets, truncated answers
  uint64_t timeouts = 0;
  uint64_t connections_opened = 0;
  uint64_t backlog_max = 0;
  uint64_t unsent = 0;  // open loop: due by the end but never sent (server behind)  // open loop:
                        // most requests waiting for a connection
  uint64_t bytes_received = 0;
  std::vector<Sample> samples;
  double Throughput() const { return measured_s > 0 ? recorded / measured_s : 0; }
  uint64_t Errors() const { return http_errors + ocsp_errors + transport_errors + timeouts; }
};

Result<LoadResult> RunLoad(const LoadOptions& options, const Corpus& corpus);

}  // namespace keyward::bench
