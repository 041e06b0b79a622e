// `keyward-bench scep`: concurrent SCEP enrollments. Every PKCSReq is built
// before the clock starts (from a pool of pre-made RSA keys), so the client
// spends its core on the wire, not on RSA. N keep-alive connections each send
// their next message when the last CertRep arrives; after the run every
// CertRep is checked (signature, nonces, decrypted certificate for our key).
#include <openssl/provider.h>
#include <openssl/rsa.h>
#include <uv.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "bench/load/commands.h"
#include "bench/load/histogram.h"
#include "bench/load/http_response.h"
#include "bench/load/scep_client.h"

namespace keyward::bench {
namespace {

struct ScepFlags {
  std::string url, challenge, json, label;
  int connections = 8, keys = 16, key_bits = 2048;
  size_t enrollments = 400;
  double duration_s = 60;
  int timeout_ms = 10'000;
};

class ScepLoad;

struct ScepConn {
  uv_tcp_t tcp{};
  uv_connect_t connect_req{};
  uv_write_t write_req{};
  ScepLoad* load = nullptr;
  HttpResponseReader reader;
  std::string out;
  char rbuf[16 * 1024];
  size_t msg = 0;
  uint64_t sent_ns = 0;
  bool busy = false, closing = false;
};

class ScepLoad {
 public:
  ScepLoad(const ScepFlags& f, const HttpUrl& url, std::vector<ScepRequest>& msgs)
      : answers_(msgs.size()), status_(msgs.size()), f_(f), url_(url), msgs_(msgs) {}
  void Run();
  void OnConnect(ScepConn* c, int status);
  void OnRead(ScepConn* c, ssize_t n);
  void OnClosed(ScepConn* c);
  void OnTick();

  Histogram latency;
  uint64_t errors = 0, done = 0;
  double elapsed_s = 0;
  std::vector<std::string> answers_;
  std::vector<int> status_;  // HTTP status per message (0: not answered)

 private:
  void Open();
  void SendNext(ScepConn* c);
  void Close(ScepConn* c);

  const ScepFlags& f_;
  HttpUrl url_;
  std::vector<ScepRequest>& msgs_;
  uv_loop_t loop_{};
  uv_timer_t tick_{};
  sockaddr_storage addr_{};
  std::vector<ScepConn*> open_;
  size_t next_ = 0;
  uint64_t start_ns_ = 0, end_ns_ = 0, last_ns_ = 0;
  bool stopping_ = false;
};

ScepConn* ScepConnOf(void* p) { return static_cast<ScepConn*>(p); }

void ScepLoad::Open() {
  auto owned = std::make_unique<ScepConn>();
  ScepConn* c = owned.get();
  c->load = this;
  if (uv_tcp_init(&loop_, &c->tcp) != 0) {
    ++errors;
    return;
  }
  c->tcp.data = owned.release();  // freed in OnClosed
  open_.push_back(c);
  c->connect_req.data = c;
  if (uv_tcp_connect(&c->connect_req, &c->tcp, reinterpret_cast<sockaddr*>(&addr_),
                     [](uv_connect_t* r, int s) {
                       ScepConnOf(r->data)->load->OnConnect(ScepConnOf(r->data), s);
                     }) != 0) {
    ++errors;
    Close(c);
  }
}

void ScepLoad::OnConnect(ScepConn* c, int status) {
  if (c->closing) return;
  if (status != 0) {
    if (++errors <= 3)
      std::fprintf(stderr, "keyward-bench scep: connect: %s\n", uv_strerror(status));
    Close(c);
    return;
  }
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&c->tcp),
      [](uv_handle_t* h, size_t, uv_buf_t* b) {
        *b = uv_buf_init(ScepConnOf(h->data)->rbuf, sizeof(ScepConnOf(h->data)->rbuf));
      },
      [](uv_stream_t* s, ssize_t n, const uv_buf_t*) {
        ScepConnOf(s->data)->load->OnRead(ScepConnOf(s->data), n);
      });
  SendNext(c);
}

void ScepLoad::SendNext(ScepConn* c) {
  uint64_t now = uv_hrtime();
  if (stopping_ || next_ >= msgs_.size() || now >= end_ns_) {
    Close(c);
    return;
  }
  c->msg = next_++;
  const std::string& body = msgs_[c->msg].der;
  c->out = "POST " + url_.path + "?operation=PKIOperation HTTP/1.1\r\nHost: " + url_.host + ":" +
           std::to_string(url_.port) +
           "\r\nContent-Type: application/x-pki-message\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  c->reader.Reset();
  c->busy = true;
  c->sent_ns = now;
  uv_buf_t buf = uv_buf_init(c->out.data(), static_cast<unsigned>(c->out.size()));
  c->write_req.data = c;
  if (uv_write(&c->write_req, reinterpret_cast<uv_stream_t*>(&c->tcp), &buf, 1,
               [](uv_write_t*, int) {}) != 0) {
    ++errors;
    Close(c);
  }
}

void ScepLoad::OnRead(ScepConn* c, ssize_t n) {
  if (c->closing) return;
  if (n < 0) {
    if (c->busy) c->reader.OnEof();
    if (!c->busy || c->reader.state() != HttpResponseReader::State::kDone) {
      if (c->busy && ++errors <= 3) {
        std::fprintf(stderr, "keyward-bench scep: connection lost mid-answer: %s\n",
                     uv_strerror(static_cast<int>(n)));
      }
      Close(c);
      if (!stopping_ && next_ < msgs_.size()) Open();
      return;
    }
  } else {
    c->reader.Feed(c->rbuf, static_cast<size_t>(n));
  }
  if (c->reader.state() == HttpResponseReader::State::kError) {
    if (++errors <= 3) std::fprintf(stderr, "keyward-bench scep: unreadable HTTP answer\n");
    Close(c);
    return;
  }
  if (c->reader.state() != HttpResponseReader::State::kDone) return;
  uint64_t now = uv_hrtime();
  c->busy = false;
  latency.Record(now - c->sent_ns);
  last_ns_ = now;
  ++done;
  status_[c->msg] = c->reader.status();
  answers_[c->msg].assign(c->reader.body());
  if (c->reader.status() != 200 || PkiStatusOf(answers_[c->msg]) != "0") {
    ++errors;
    if (errors <= 3) {
      std::fprintf(stderr, "keyward-bench scep: HTTP %d, pkiStatus \"%s\"\n", c->reader.status(),
                   PkiStatusOf(answers_[c->msg]).c_str());
    }
  }
  if (c->reader.keep_alive()) {
    SendNext(c);
  } else {
    Close(c);
    if (!stopping_ && next_ < msgs_.size() && now < end_ns_) Open();
  }
}

void ScepLoad::Close(ScepConn* c) {
  if (c->closing) return;
  c->closing = true;
  open_.erase(std::remove(open_.begin(), open_.end(), c), open_.end());
  uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp),
           [](uv_handle_t* h) { ScepConnOf(h->data)->load->OnClosed(ScepConnOf(h->data)); });
}

void ScepLoad::OnClosed(ScepConn* c) {
  std::unique_ptr<ScepConn> owned(c);
  if (open_.empty() && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&tick_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
  }
}

void ScepLoad::OnTick() {
  uint64_t now = uv_hrtime();
  uint64_t limit = static_cast<uint64_t>(f_.timeout_ms) * 1'000'000;
  std::vector<ScepConn*> late;
  for (ScepConn* c : open_) {
    if (c->busy && now - c->sent_ns > limit) late.push_back(c);
  }
  for (ScepConn* c : late) {
    ++errors;
    Close(c);
  }
  if (now > end_ns_ + limit) {
    stopping_ = true;
    std::vector<ScepConn*> rest = open_;
    for (ScepConn* c : rest) Close(c);
  }
  if (open_.empty() && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&tick_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
  }
}

void ScepLoad::Run() {
  if (uv_ip4_addr(url_.host.c_str(), url_.port, reinterpret_cast<sockaddr_in*>(&addr_)) != 0) {
    uv_ip6_addr(url_.host.c_str(), url_.port, reinterpret_cast<sockaddr_in6*>(&addr_));
  }
  uv_loop_init(&loop_);
  uv_timer_init(&loop_, &tick_);
  tick_.data = this;
  start_ns_ = uv_hrtime();
  end_ns_ = start_ns_ + static_cast<uint64_t>(f_.duration_s * 1e9);
  uv_timer_start(
      &tick_, [](uv_timer_t* t) { static_cast<ScepLoad*>(t->data)->OnTick(); }, 100, 100);
  for (int i = 0; i < f_.connections; ++i) Open();
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
  elapsed_s = (std::max(last_ns_, start_ns_) - start_ns_) / 1e9;
}

int RunScep(const ScepFlags& f) {
  HttpUrl url;
  if (!ParseHttpUrl(f.url, &url)) {
    std::fprintf(stderr, "keyward-bench scep: --url must look like http://127.0.0.1:8081/scep\n");
    return 2;
  }
  // micromdm's scepserver encrypts its CertRep with DES-CBC whatever the
  // request used; reading it needs OpenSSL 3's legacy provider.
  std::unique_ptr<OSSL_PROVIDER, openssl::Free<OSSL_PROVIDER_unload>> legacy(
      OSSL_PROVIDER_load(nullptr, "legacy"));
  std::unique_ptr<OSSL_PROVIDER, openssl::Free<OSSL_PROVIDER_unload>> defaults(
      OSSL_PROVIDER_load(nullptr, "default"));
  if (!legacy || !defaults) {
    openssl::DrainErrors();
    std::fprintf(
        stderr,
        "keyward-bench scep: OpenSSL legacy provider unavailable; DES CertReps will not decrypt\n");
  }
  Result<ScepServerCerts> certs = GetCaCert(url);
  if (!certs) {
    std::fprintf(stderr, "keyward-bench scep: %s\n", certs.error().c_str());
    return 2;
  }
  auto t0 = std::chrono::steady_clock::now();
  std::vector<openssl::EvpPkeyPtr> keys;
  for (int i = 0; i < f.keys; ++i) {
    openssl::EvpPkeyPtr k(EVP_RSA_gen(static_cast<unsigned>(f.key_bits)));
    if (!k) {
      std::fprintf(stderr, "keyward-bench scep: RSA key generation failed\n");
      return 2;
    }
    keys.push_back(std::move(k));
  }
  std::vector<ScepRequest> msgs;
  for (size_t i = 0; i < f.enrollments; ++i) {
    Result<ScepRequest> m =
        BuildPkcsReq(keys[i % keys.size()].get(),
                     "bench-scep-" + std::to_string(i) + "-" + std::to_string(std::time(nullptr)),
                     f.challenge, certs->ra.get());
    if (!m) {
      std::fprintf(stderr, "keyward-bench scep: %s\n", m.error().c_str());
      return 2;
    }
    msgs.push_back(std::move(*m));
  }
  double prep_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "keyward-bench scep: %zu PKCSReq built with %d RSA-%d keys in %.1f s\n",
               msgs.size(), f.keys, f.key_bits, prep_s);
  ScepLoad load(f, url, msgs);
  load.Run();
  uint64_t wrong = 0;
  std::vector<std::string> first_errors;
  for (size_t i = 0; i < msgs.size(); ++i) {
    if (load.status_[i] == 0) continue;
    std::string why = load.status_[i] == 200 ? CheckCertRep(load.answers_[i], msgs[i], *certs)
                                             : "HTTP " + std::to_string(load.status_[i]);
    if (!why.empty()) {
      ++wrong;
      if (first_errors.size() < 5) first_errors.push_back(why);
    }
  }
  double eps = load.elapsed_s > 0 ? (load.done - wrong) / load.elapsed_s : 0;
  bool failed = wrong > 0 || load.errors > 0 || load.done == 0;
  auto ms = [](uint64_t ns) { return ns / 1e6; };
  nlohmann::json j = {{"label", f.label},
                      {"url", f.url},
                      {"connections", f.connections},
                      {"key_bits", f.key_bits},
                      {"enrollments", load.done},
                      {"elapsed_s", load.elapsed_s},
                      {"enrollments_per_s", eps},
                      {"errors", load.errors},
                      {"wrong", wrong},
                      {"first_errors", first_errors},
                      {"latency_ms",
                       {{"p50", ms(load.latency.ValueAt(0.5))},
                        {"p90", ms(load.latency.ValueAt(0.9))},
                        {"p99", ms(load.latency.ValueAt(0.99))},
                        {"max", ms(load.latency.max())}}},
                      {"passed", !failed}};
  if (!f.json.empty()) {
    std::ofstream out(f.json);
    out << j.dump(2) << "\n";
  }
  std::printf("%s%s%s: %.1f enrollments/s (%llu in %.2f s, %d connections, RSA-%d)\n",
              f.label.c_str(), f.label.empty() ? "" : " ", f.url.c_str(), eps,
              static_cast<unsigned long long>(load.done), load.elapsed_s, f.connections,
              f.key_bits);
  std::printf("  latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n",
              ms(load.latency.ValueAt(0.5)), ms(load.latency.ValueAt(0.9)),
              ms(load.latency.ValueAt(0.99)), ms(load.latency.max()));
  std::printf("  errors %llu, wrong CertReps %llu\n", static_cast<unsigned long long>(load.errors),
              static_cast<unsigned long long>(wrong));
  for (const std::string& e : first_errors) std::printf("  wrong: %s\n", e.c_str());
  std::printf("  %s\n", failed ? "FAILED" : "passed");
  return failed ? 1 : 0;
}

}  // namespace

void AddScepCommand(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<ScepFlags>();
  CLI::App* cmd = app.add_subcommand(
      "scep",
      "Concurrent SCEP PKCSReq enrollments: GetCACert, then --enrollments messages (built before "
      "the clock starts from a pool of RSA keys) over --connections keep-alive connections. "
      "Reports enrollments/s and latency; every CertRep is checked. Exit 1 on any failure.");
  cmd->add_option("--url", f->url, "SCEP URL, http://127.0.0.1:8081/scep")->required();
  cmd->add_option("--challenge", f->challenge, "challengePassword put in every CSR");
  cmd->add_option("--connections,-c", f->connections, "concurrent enrollments")
      ->capture_default_str();
  cmd->add_option("--enrollments,-n", f->enrollments, "enrollments to send")->capture_default_str();
  cmd->add_option("--keys", f->keys, "RSA keys in the pool (reused across CSRs)")
      ->capture_default_str();
  cmd->add_option("--key-bits", f->key_bits, "RSA key size")->capture_default_str();
  cmd->add_option("--duration,-d", f->duration_s, "stop sending after this many seconds")
      ->capture_default_str();
  cmd->add_option("--timeout-ms", f->timeout_ms, "per enrollment")->capture_default_str();
  cmd->add_option("--json", f->json, "write the result as JSON to FILE");
  cmd->add_option("--label", f->label, "name for this run in the report");
  cmd->callback([f, exit_code] { *exit_code = RunScep(*f); });
}

}  // namespace keyward::bench
