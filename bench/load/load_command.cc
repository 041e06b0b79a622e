// `keyward-bench load`: flags, one run, the report (text or JSON), and the
// verdict: any wrong answer, or errors above the allowed rate, exit 1.
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "bench/load/commands.h"
#include "bench/load/load_runner.h"
#include "bench/load/sample_verifier.h"

namespace keyward::bench {
namespace {

struct LoadFlags {
  std::string url, corpus, ca_cert, json, label, mix = "good=99,revoked=1,unknown=0";
  std::string method = "post", nonce_check = "require";
  double max_error_rate = 0;
  bool new_connection = false, quiet = false, no_verify = false;
  LoadOptions o;
};

nlohmann::json LatencyJson(const Histogram& h) {
  auto us = [](uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
  return {{"p50_us", us(h.ValueAt(0.5))},
          {"p90_us", us(h.ValueAt(0.9))},
          {"p99_us", us(h.ValueAt(0.99))},
          {"p999_us", us(h.ValueAt(0.999))},
          {"max_us", us(h.max())},
          {"mean_us", h.Mean() / 1000.0},
          {"count", h.count()}};
}

int RunLoadCommand(LoadFlags& f) {
  HttpUrl url;
  if (!ParseHttpUrl(f.url, &url)) {
    std::fprintf(stderr, "keyward-bench: --url must look like http://127.0.0.1:8080/\n");
    return 2;
  }
  f.o.host = url.host;
  f.o.port = url.port;
  f.o.path = url.path;
  f.o.conn_mode = f.new_connection ? ConnMode::kNewConnection : ConnMode::kKeepAlive;
  f.o.loop = f.o.rate > 0 ? LoopKind::kOpen : LoopKind::kClosed;
  f.o.progress = !f.quiet;
  if (f.method == "post")
    f.o.mix.get_fraction = 0;
  else if (f.method == "get")
    f.o.mix.get_fraction = 1;
  else if (f.method != "mixed") {
    std::fprintf(stderr, "keyward-bench: --method is post, get or mixed\n");
    return 2;
  }
  Result<RequestMix> mix = ParseMix(f.mix, f.o.mix);
  if (!mix) {
    std::fprintf(stderr, "keyward-bench: --mix: %s\n", mix.error().c_str());
    return 2;
  }
  f.o.mix = *mix;
  if (f.no_verify) f.o.verify_every = 0;
  std::optional<SampleVerifier> verifier;
  if (f.o.verify_every > 0) {
    if (f.ca_cert.empty()) {
      std::fprintf(stderr,
                   "keyward-bench: --ca-cert is needed to verify answers (or --no-verify)\n");
      return 2;
    }
    Result<SampleVerifier> v = SampleVerifier::Create(f.ca_cert);
    if (!v) {
      std::fprintf(stderr, "keyward-bench: %s\n", v.error().c_str());
      return 2;
    }
    verifier.emplace(std::move(*v));
  }
  Result<Corpus> corpus = Corpus::Load(f.corpus);
  if (!corpus) {
    std::fprintf(stderr, "keyward-bench: %s\n", corpus.error().c_str());
    return 2;
  }
  Result<LoadResult> run = RunLoad(f.o, *corpus);
  if (!run) {
    std::fprintf(stderr, "keyward-bench: %s\n", run.error().c_str());
    return 2;
  }
  LoadResult& r = *run;
  VerifyReport vr;
  if (verifier) {
    verifier->Verify(*corpus, r.samples,
                     f.nonce_check == "report" ? NonceCheck::kReport : NonceCheck::kRequire, &vr);
  }
  uint64_t attempts = r.completed + r.transport_errors + r.timeouts;
  double error_rate = attempts ? static_cast<double>(r.Errors()) / attempts : 0;
  bool failed = vr.wrong > 0 || error_rate > f.max_error_rate || r.recorded == 0;

  nlohmann::json j = {
      {"label", f.label},
      {"url", f.url},
      {"loop", f.o.loop == LoopKind::kOpen ? "open" : "closed"},
      {"connection", f.new_connection ? "new-http1.0" : "keep-alive"},
      {"connections", f.o.connections},
      {"offered_rate", f.o.rate},
      {"duration_s", f.o.duration_s},
      {"warmup_s", f.o.warmup_s},
      {"mix",
       {{"good", f.o.mix.good},
        {"revoked", f.o.mix.revoked},
        {"unknown", f.o.mix.unknown},
        {"sha256_fraction", f.o.mix.sha256_fraction},
        {"get_fraction", f.o.mix.get_fraction},
        {"nonce_fraction", f.o.mix.nonce_fraction}}},
      {"throughput_rps", r.Throughput()},
      {"measured_s", r.measured_s},
      {"answers", r.recorded},
      {"answers_total", r.completed},
      {"latency", LatencyJson(r.latency)},
      {"errors",
       {{"http", r.http_errors},
        {"ocsp", r.ocsp_errors},
        {"transport", r.transport_errors},
        {"timeouts", r.timeouts},
        {"rate", error_rate}}},
      {"unsent", r.unsent},
      {"backlog_max", r.backlog_max},
      {"connections_opened", r.connections_opened},
      {"bytes_received", r.bytes_received},
      {"verified",
       {{"checked", vr.checked},
        {"wrong", vr.wrong},
        {"nonce_echoed", vr.nonce_echoed},
        {"nonce_missing", vr.nonce_missing},
        {"first_errors", vr.first_errors}}},
      {"passed", !failed},
      {"time", static_cast<int64_t>(std::time(nullptr))},
  };
  if (!f.json.empty()) {
    if (f.json == "-") {
      std::cout << j.dump(2) << "\n";
    } else {
      std::ofstream out(f.json);
      out << j.dump(2) << "\n";
      if (!out) std::fprintf(stderr, "keyward-bench: cannot write %s\n", f.json.c_str());
    }
  }
  if (f.json != "-") {
    const Histogram& h = r.latency;
    std::printf("%s%s%s: %.0f answers/s over %.1f s (%llu answers)\n", f.label.c_str(),
                f.label.empty() ? "" : " ", f.url.c_str(), r.Throughput(), r.measured_s,
                static_cast<unsigned long long>(r.recorded));
    std::printf("  latency ms: p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f\n",
                h.ValueAt(0.5) / 1e6, h.ValueAt(0.9) / 1e6, h.ValueAt(0.99) / 1e6,
                h.ValueAt(0.999) / 1e6, h.max() / 1e6);
    std::printf("  errors: http %llu  ocsp %llu  transport %llu  timeouts %llu  unsent %llu\n",
                static_cast<unsigned long long>(r.http_errors),
                static_cast<unsigned long long>(r.ocsp_errors),
                static_cast<unsigned long long>(r.transport_errors),
                static_cast<unsigned long long>(r.timeouts),
                static_cast<unsigned long long>(r.unsent));
    std::printf("  verified %llu samples: %llu wrong; nonce echoed %llu, missing %llu\n",
                static_cast<unsigned long long>(vr.checked),
                static_cast<unsigned long long>(vr.wrong),
                static_cast<unsigned long long>(vr.nonce_echoed),
                static_cast<unsigned long long>(vr.nonce_missing));
    for (const std::string& e : vr.first_errors) std::printf("  wrong answer: %s\n", e.c_str());
    std::printf("  %s\n", failed ? "FAILED" : "passed");
  }
  return failed ? 1 : 0;
}

}  // namespace

bool ParseHttpUrl(const std::string& url, HttpUrl* out) {
  const std::string scheme = "http://";
  if (url.compare(0, scheme.size(), scheme) != 0) return false;
  std::string rest = url.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  out->path = slash == std::string::npos ? "/" : rest.substr(slash);
  size_t colon;
  if (!hostport.empty() && hostport[0] == '[') {
    size_t close = hostport.find(']');
    if (close == std::string::npos) return false;
    out->host = hostport.substr(1, close - 1);
    colon = hostport.find(':', close);
  } else {
    colon = hostport.rfind(':');
    out->host = hostport.substr(0, colon);
  }
  if (colon != std::string::npos) {
    try {
      out->port = std::stoi(hostport.substr(colon + 1));
    } catch (const std::exception&) {
      return false;
    }
  }
  return !out->host.empty() && out->port > 0 && out->port < 65536;
}

void AddLoadCommand(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<LoadFlags>();
  CLI::App* cmd = app.add_subcommand(
      "load",
      "OCSP load: closed loop (--connections N) or open loop (--rate R, latency from the due "
      "time). Stops after --duration or --requests. Exit 1 on any wrong answer.");
  cmd->add_option("--url", f->url,
                  "responder URL, http://127.0.0.1:8080/ (POST target; GET "
                  "appends the base64 request to it)")
      ->required();
  cmd->add_option("--corpus", f->corpus, "corpus file or directory (see `corpus --help`)")
      ->required();
  cmd->add_option("--ca-cert", f->ca_cert, "CA certificate (PEM) sampled answers must chain to");
  cmd->add_option("--connections,-c", f->o.connections,
                  "closed loop: connections; open loop: "
                  "most requests in flight")
      ->capture_default_str();
  cmd->add_option("--rate,-r", f->o.rate, "open loop at this many requests per second");
  cmd->add_option("--duration,-d", f->o.duration_s, "seconds measured, after the warm-up")
      ->capture_default_str();
  cmd->add_option("--warmup", f->o.warmup_s, "seconds not recorded at the start")
      ->capture_default_str();
  cmd->add_option("--requests,-n", f->o.max_requests, "stop after this many requests (0: no cap)");
  cmd->add_flag("--new-connection", f->new_connection,
                "one HTTP/1.0 connection per request, no Host header (ISE, ClearPass, FreeRADIUS)");
  cmd->add_option("--method", f->method, "post, get or mixed")->capture_default_str();
  cmd->add_option("--get-fraction", f->o.mix.get_fraction,
                  "with --method mixed: share sent as GET");
  cmd->add_option("--sha256-fraction", f->o.mix.sha256_fraction,
                  "share of SHA-256 CertIDs (rest SHA-1)");
  cmd->add_option("--nonce-fraction", f->o.mix.nonce_fraction,
                  "share of requests with a fresh random 16-octet nonce (1: all)");
  cmd->add_option("--mix", f->mix, "status weights drawn from the corpus")->capture_default_str();
  cmd->add_option(
         "--verify-every", f->o.verify_every,
         "keep every n-th answer and verify signature, status, validity and nonce after the run")
      ->capture_default_str();
  cmd->add_option("--max-samples", f->o.max_samples, "most answers kept for verification")
      ->capture_default_str();
  cmd->add_flag("--no-verify", f->no_verify, "do not verify answers");
  cmd->add_option("--nonce-check", f->nonce_check,
                  "require: a missing nonce echo is a wrong answer; report: only count it "
                  "(for servers that cannot echo)")
      ->capture_default_str();
  cmd->add_option("--max-error-rate", f->max_error_rate,
                  "fail when HTTP, OCSP, transport errors and timeouts exceed this share")
      ->capture_default_str();
  cmd->add_option("--timeout-ms", f->o.timeout_ms, "per request")->capture_default_str();
  cmd->add_option("--seed", f->o.seed, "random seed for the mix and the nonces")
      ->capture_default_str();
  cmd->add_option("--json", f->json, "write the result as JSON to FILE ('-': stdout, no text)");
  cmd->add_option("--label", f->label, "name for this run in the report");
  cmd->add_flag("--quiet,-q", f->quiet, "no progress line on stderr");
  cmd->callback([f, exit_code] { *exit_code = RunLoadCommand(*f); });
}

}  // namespace keyward::bench
