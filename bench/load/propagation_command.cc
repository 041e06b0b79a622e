// `keyward-bench propagation`: how long a revocation takes to reach every
// responder. For each serial in turn it runs `keyward revoke` (as a child
// process, so the loop keeps polling) while one keep-alive connection per
// responder URL asks for that serial back to back; it records when each
// responder first answers `revoked` (a verified answer), measured from the
// start of `keyward revoke` and from its exit.
#include <openssl/pem.h>
#include <uv.h>

#include <cstdio>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "bench/load/commands.h"
#include "bench/load/corpus_writer.h"
#include "bench/load/histogram.h"
#include "bench/load/http_response.h"
#include "bench/load/sample_verifier.h"

namespace keyward::bench {
namespace {

struct PropFlags {
  std::string keyward, config, ca, ca_cert, serials_file, json, reason = "keyCompromise";
  std::vector<std::string> urls, serials;
  int poll_interval_ms = 0, timeout_ms = 3000;
};

class Probe;

// Poller: one responder, one keep-alive connection, one request at a time.
struct Poller {
  Probe* probe = nullptr;
  HttpUrl url;
  uv_tcp_t tcp{};
  uv_connect_t connect_req{};
  uv_write_t write_req{};
  uv_timer_t timer{};
  HttpResponseReader reader;
  std::string out;
  char rbuf[16 * 1024];
  bool connected = false, busy = false;
  bool done = false;  // answered revoked for the current serial
  uint64_t seen_ns = 0;
  uint64_t polls = 0;
};

class Probe {
 public:
  explicit Probe(const PropFlags& f) : f_(f) {}
  int Run();

  void OnConnect(Poller* p, int status);
  void OnRead(Poller* p, ssize_t n);
  void OnExit(int64_t status);
  void Poll(Poller* p);
  bool stopping() const { return stopping_; }
  void StartSerial();
  void FinishSerial(bool timed_out);

 private:
  void Connect(Poller* p);
  void Stop();

  const PropFlags& f_;
  uv_loop_t loop_{};
  // One process handle per `keyward revoke`: a handle may be reused only
  // after its close callback, so each run gets a fresh one, freed there.
  uv_process_t* child_ = nullptr;
  uv_timer_t deadline_{};
  std::vector<std::unique_ptr<Poller>> pollers_;
  openssl::X509Ptr ca_;
  std::optional<SampleVerifier> verifier_;
  CorpusEntry entry_;  // the current serial, expected revoked
  size_t index_ = 0;
  uint64_t start_ns_ = 0, exit_ns_ = 0;
  bool child_running_ = false, stopping_ = false;
  int failures_ = 0;
  Histogram from_start_, from_exit_;
  std::vector<nlohmann::json> rows_;
};

Poller* PollerOf(void* data) { return static_cast<Poller*>(data); }

void Probe::Connect(Poller* p) {
  sockaddr_storage addr{};
  if (uv_ip4_addr(p->url.host.c_str(), p->url.port, reinterpret_cast<sockaddr_in*>(&addr)) != 0 &&
      uv_ip6_addr(p->url.host.c_str(), p->url.port, reinterpret_cast<sockaddr_in6*>(&addr)) != 0) {
    std::fprintf(stderr, "keyward-bench propagation: host '%s' is not a numeric IP\n",
                 p->url.host.c_str());
    ++failures_;
    Stop();
    return;
  }
  if (uv_tcp_init(&loop_, &p->tcp) != 0) {
    ++failures_;
    Stop();
    return;
  }
  p->tcp.data = p;
  p->connect_req.data = p;
  if (uv_tcp_connect(&p->connect_req, &p->tcp, reinterpret_cast<sockaddr*>(&addr),
                     [](uv_connect_t* r, int s) {
                       PollerOf(r->data)->probe->OnConnect(PollerOf(r->data), s);
                     }) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&p->tcp), nullptr);
    ++failures_;
    Stop();
  }
}

void Probe::OnConnect(Poller* p, int status) {
  if (status != 0 || stopping_) {
    std::fprintf(stderr, "keyward-bench propagation: cannot connect to %s:%d: %s\n",
                 p->url.host.c_str(), p->url.port, uv_strerror(status));
    uv_close(reinterpret_cast<uv_handle_t*>(&p->tcp), nullptr);
    ++failures_;
    Stop();
    return;
  }
  p->connected = true;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&p->tcp),
      [](uv_handle_t* h, size_t, uv_buf_t* b) {
        *b = uv_buf_init(PollerOf(h->data)->rbuf, sizeof(PollerOf(h->data)->rbuf));
      },
      [](uv_stream_t* s, ssize_t n, const uv_buf_t*) {
        PollerOf(s->data)->probe->OnRead(PollerOf(s->data), n);
      });
  Poll(p);
}

void Probe::Poll(Poller* p) {
  if (stopping_ || p->done || p->busy || !p->connected) return;
  p->out = "POST " + p->url.path + " HTTP/1.1\r\nHost: " + p->url.host +
           "\r\nContent-Type: application/ocsp-request\r\nContent-Length: " +
           std::to_string(entry_.post_body.size()) + "\r\n\r\n" + entry_.post_body;
  p->reader.Reset();
  p->busy = true;
  ++p->polls;
  uv_buf_t buf = uv_buf_init(p->out.data(), static_cast<unsigned>(p->out.size()));
  p->write_req.data = p;
  if (uv_write(&p->write_req, reinterpret_cast<uv_stream_t*>(&p->tcp), &buf, 1,
               [](uv_write_t*, int) {}) != 0) {
    ++failures_;
    Stop();
  }
}

void Probe::OnRead(Poller* p, ssize_t n) {
  if (stopping_) return;
  if (n < 0) {
    std::fprintf(stderr, "keyward-bench propagation: %s:%d closed the connection\n",
                 p->url.host.c_str(), p->url.port);
    ++failures_;
    Stop();
    return;
  }
  p->reader.Feed(p->rbuf, static_cast<size_t>(n));
  if (p->reader.state() == HttpResponseReader::State::kHeaders ||
      p->reader.state() == HttpResponseReader::State::kBody) {
    return;
  }
  p->busy = false;
  uint64_t now = uv_hrtime();
  if (p->reader.state() == HttpResponseReader::State::kDone && p->reader.status() == 200 &&
      !p->done) {
    Sample s;
    s.request = entry_.post_body;
    s.response.assign(p->reader.body());
    bool echoed = false;
    // Any answer other than a verified `revoked` means "not yet".
    if (verifier_->VerifyOne(entry_, s, NonceCheck::kReport, &echoed).empty()) {
      p->done = true;
      p->seen_ns = now;
    }
  }
  bool all = true;
  for (auto& q : pollers_) all = all && q->done;
  if (all && !child_running_) {
    FinishSerial(false);
    return;
  }
  if (f_.poll_interval_ms > 0) {
    uv_timer_start(
        &p->timer, [](uv_timer_t* t) { PollerOf(t->data)->probe->Poll(PollerOf(t->data)); },
        static_cast<uint64_t>(f_.poll_interval_ms), 0);
  } else {
    Poll(p);
  }
}

void Probe::StartSerial() {
  const std::string& serial = f_.serials[index_];
  entry_ = CorpusEntry();
  entry_.expected = ocsp::CertStatus::kRevoked;
  entry_.serial_hex = serial;
  entry_.post_body = RequestFor(ca_.get(), serial, ocsp::HashAlg::kSha1);
  Corpus tmp;
  if (entry_.post_body.empty() || !tmp.Add(entry_.post_body, ocsp::CertStatus::kRevoked)) {
    std::fprintf(stderr, "keyward-bench propagation: serial '%s' unusable\n", serial.c_str());
    ++failures_;
    Stop();
    return;
  }
  entry_.cert_id_der = tmp.entries()[0].cert_id_der;
  for (auto& p : pollers_) {
    p->done = false;
    p->seen_ns = 0;
  }
  std::vector<std::string> args = {f_.keyward, "revoke",   "--config", f_.config,  "--ca",
                                   f_.ca,      "--serial", serial,     "--reason", f_.reason};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  uv_process_options_t opts{};
  opts.file = argv[0];
  opts.args = argv.data();
  uv_stdio_container_t stdio[3];
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = UV_IGNORE;
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = 2;
  opts.stdio = stdio;
  opts.stdio_count = 3;
  opts.exit_cb = [](uv_process_t* proc, int64_t status, int) {
    static_cast<Probe*>(proc->data)->OnExit(status);
  };
  auto child = std::make_unique<uv_process_t>();
  child->data = this;
  start_ns_ = uv_hrtime();
  exit_ns_ = 0;
  int rc = uv_spawn(&loop_, child.get(), &opts);
  // Spawned or not, the handle is initialised and is freed in its close callback.
  child_ = child.release();
  if (rc != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(child_), [](uv_handle_t* h) {
      std::unique_ptr<uv_process_t> owned(reinterpret_cast<uv_process_t*>(h));
    });
    child_ = nullptr;
    std::fprintf(stderr, "keyward-bench propagation: cannot run %s: %s\n", f_.keyward.c_str(),
                 uv_strerror(rc));
    ++failures_;
    Stop();
    return;
  }
  child_running_ = true;
  uv_timer_start(
      &deadline_, [](uv_timer_t* t) { static_cast<Probe*>(t->data)->FinishSerial(true); },
      static_cast<uint64_t>(f_.timeout_ms), 0);
  for (auto& p : pollers_) Poll(p.get());
}

void Probe::OnExit(int64_t status) {
  child_running_ = false;
  exit_ns_ = uv_hrtime();
  uv_close(reinterpret_cast<uv_handle_t*>(child_), [](uv_handle_t* h) {
    std::unique_ptr<uv_process_t> owned(reinterpret_cast<uv_process_t*>(h));
  });
  child_ = nullptr;
  if (stopping_) return;
  if (status != 0) {
    std::fprintf(stderr, "keyward-bench propagation: keyward revoke exited %lld\n",
                 static_cast<long long>(status));
    ++failures_;
    Stop();
    return;
  }
  bool all = true;
  for (auto& q : pollers_) all = all && q->done;
  if (all) FinishSerial(false);
}

void Probe::FinishSerial(bool timed_out) {
  if (stopping_) return;
  uv_timer_stop(&deadline_);
  nlohmann::json row = {{"serial", entry_.serial_hex},
                        {"revoke_ms", exit_ns_ ? (exit_ns_ - start_ns_) / 1e6 : -1.0}};
  nlohmann::json per_url = nlohmann::json::array();
  for (auto& p : pollers_) {
    if (!p->done) {
      per_url.push_back(nullptr);
      continue;
    }
    uint64_t since_start = p->seen_ns - start_ns_;
    uint64_t since_exit = exit_ns_ && p->seen_ns > exit_ns_ ? p->seen_ns - exit_ns_ : 0;
    from_start_.Record(since_start);
    from_exit_.Record(since_exit);
    per_url.push_back({{"from_start_ms", since_start / 1e6}, {"from_exit_ms", since_exit / 1e6}});
  }
  row["responders"] = per_url;
  rows_.push_back(row);
  if (timed_out) {
    std::fprintf(stderr,
                 "keyward-bench propagation: serial %s not revoked everywhere within %d ms\n",
                 entry_.serial_hex.c_str(), f_.timeout_ms);
    ++failures_;
    Stop();
    return;
  }
  std::fprintf(stderr, "\r[%zu/%zu] revoked %s", index_ + 1, f_.serials.size(),
               entry_.serial_hex.c_str());
  if (++index_ >= f_.serials.size()) {
    Stop();
    return;
  }
  StartSerial();
}

void Probe::Stop() {
  if (stopping_) return;
  stopping_ = true;
  if (child_running_ && child_ != nullptr) uv_process_kill(child_, SIGTERM);
  uv_close(reinterpret_cast<uv_handle_t*>(&deadline_), nullptr);
  for (auto& p : pollers_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&p->timer), nullptr);
    if (p->connected) uv_close(reinterpret_cast<uv_handle_t*>(&p->tcp), nullptr);
  }
}

int Probe::Run() {
  FILE* cf = std::fopen(f_.ca_cert.c_str(), "r");
  if (cf != nullptr) {
    ca_.reset(PEM_read_X509(cf, nullptr, nullptr, nullptr));
    std::fclose(cf);
  }
  Result<SampleVerifier> v = SampleVerifier::Create(f_.ca_cert);
  if (!ca_ || !v) {
    std::fprintf(stderr, "keyward-bench propagation: %s: not a PEM certificate\n",
                 f_.ca_cert.c_str());
    return 2;
  }
  verifier_.emplace(std::move(*v));
  if (f_.serials.empty()) {
    std::fprintf(stderr, "keyward-bench propagation: no serials\n");
    return 2;
  }
  uv_loop_init(&loop_);
  uv_timer_init(&loop_, &deadline_);
  deadline_.data = this;
  for (const std::string& u : f_.urls) {
    auto p = std::make_unique<Poller>();
    p->probe = this;
    if (!ParseHttpUrl(u, &p->url)) {
      std::fprintf(stderr, "keyward-bench propagation: bad --url %s\n", u.c_str());
      return 2;
    }
    uv_timer_init(&loop_, &p->timer);
    p->timer.data = p.get();
    pollers_.push_back(std::move(p));
  }
  for (auto& p : pollers_) Connect(p.get());
  // Start once every poller is connected (first poll answers good).
  uv_idle_t starter;
  uv_idle_init(&loop_, &starter);
  starter.data = this;
  struct Ctx {
    Probe* probe;
    std::vector<std::unique_ptr<Poller>>* pollers;
  };
  Ctx ctx{this, &pollers_};
  starter.data = &ctx;
  uv_idle_start(&starter, [](uv_idle_t* h) {
    Ctx* c = static_cast<Ctx*>(h->data);
    if (!c->probe->stopping()) {
      for (auto& p : *c->pollers) {
        if (!p->connected) return;
      }
    }
    uv_idle_stop(h);
    uv_close(reinterpret_cast<uv_handle_t*>(h), nullptr);
    if (!c->probe->stopping()) c->probe->StartSerial();
  });
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
  std::fprintf(stderr, "\n");
  auto ms = [](uint64_t ns) { return ns / 1e6; };
  nlohmann::json j = {
      {"serials", rows_.size()},
      {"responders", f_.urls},
      {"from_revoke_start_ms",
       {{"p50", ms(from_start_.ValueAt(0.5))},
        {"p99", ms(from_start_.ValueAt(0.99))},
        {"max", ms(from_start_.max())}}},
      {"from_revoke_exit_ms",
       {{"p50", ms(from_exit_.ValueAt(0.5))},
        {"p99", ms(from_exit_.ValueAt(0.99))},
        {"max", ms(from_exit_.max())}}},
      {"failures", failures_},
      {"passed", failures_ == 0},
      {"rows", rows_},
  };
  if (!f_.json.empty()) {
    std::ofstream out(f_.json);
    out << j.dump(2) << "\n";
  }
  std::printf("propagation over %zu serials x %zu responders:\n", rows_.size(), pollers_.size());
  std::printf("  from `keyward revoke` start: p50 %.2f ms  p99 %.2f ms  max %.2f ms\n",
              ms(from_start_.ValueAt(0.5)), ms(from_start_.ValueAt(0.99)), ms(from_start_.max()));
  std::printf("  from its exit:               p50 %.2f ms  p99 %.2f ms  max %.2f ms\n",
              ms(from_exit_.ValueAt(0.5)), ms(from_exit_.ValueAt(0.99)), ms(from_exit_.max()));
  std::printf("  %s\n", failures_ == 0 ? "passed" : "FAILED");
  return failures_ == 0 ? 0 : 1;
}

}  // namespace

void AddPropagationCommand(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<PropFlags>();
  CLI::App* cmd = app.add_subcommand(
      "propagation",
      "Revoke serials one after another with `keyward revoke` while polling every responder; "
      "report the time until each answers revoked (verified), p50/p99/max. Exit 1 if any "
      "responder misses --timeout-ms.");
  cmd->add_option("--keyward", f->keyward, "path of the keyward CLI")->required();
  cmd->add_option("--config", f->config, "config passed to `keyward revoke`")->required();
  cmd->add_option("--ca", f->ca, "the [[ca]] name")->required();
  cmd->add_option("--ca-cert", f->ca_cert, "CA certificate (PEM): builds CertIDs, verifies answers")
      ->required();
  cmd->add_option("--url", f->urls, "responder URL; repeat for each responder")->required();
  cmd->add_option("--serial", f->serials, "serial (hex) to revoke; repeatable");
  cmd->add_option("--serials", f->serials_file, "file of serials to revoke, one per line");
  cmd->add_option("--reason", f->reason, "revocation reason")->capture_default_str();
  cmd->add_option("--poll-interval-ms", f->poll_interval_ms,
                  "pause between polls (0: back to back)")
      ->capture_default_str();
  cmd->add_option("--timeout-ms", f->timeout_ms, "per serial")->capture_default_str();
  cmd->add_option("--json", f->json, "write the result as JSON to FILE");
  cmd->callback([f, exit_code] {
    if (!f->serials_file.empty()) {
      std::ifstream in(f->serials_file);
      std::string line;
      while (std::getline(in, line)) {
        if (!line.empty() && line[0] != '#') f->serials.push_back(line.substr(0, line.find(' ')));
      }
    }
    Probe probe(*f);
    *exit_code = probe.Run();
  });
}

}  // namespace keyward::bench
