#include "bench/load/load_runner.h"

#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <memory>
#include <random>

#include "bench/load/http_response.h"
#include "bench/load/ocsp_request_builder.h"

namespace keyward::bench {
namespace {

constexpr uint64_t kNsPerMs = 1'000'000;
constexpr uint64_t kNsPerS = 1'000'000'000;
constexpr int kReconnectsPerTick = 32;

class Runner;

// Conn: one TCP connection. Owned by its libuv handle from uv_tcp_init to the
// close callback, where it is freed.
struct Conn {
  uv_tcp_t tcp{};
  uv_connect_t connect_req{};
  uv_write_t write_req{};
  Runner* runner = nullptr;
  HttpResponseReader reader;
  std::string out;  // HTTP request bytes, alive until the write completes
  std::string der;  // the OCSP request with its nonce, when it has one
  char rbuf[16 * 1024];
  bool connected = false;
  bool busy = false;  // a request is outstanding
  bool closing = false;
  uint64_t origin_ns = 0;  // latency origin: the send, or the due time (open loop)
  uint64_t sent_ns = 0;
  uint32_t entry = 0;
  bool had_nonce = false;
};

class Runner {
 public:
  Runner(const LoadOptions& o, const Corpus& c)
      : o_(o), corpus_(c), picker_(c, o.mix), rng_(o.seed) {}
  Result<LoadResult> Run();

  // libuv callbacks
  void OnConnect(Conn* c, int status);
  void OnRead(Conn* c, ssize_t nread);
  void OnWriteDone(Conn* c, int status);
  void OnClosed(Conn* c);
  void OnTick();
  void OnPace();
  void OnProgress();

 private:
  bool Issuing(uint64_t now) const {
    return !stop_issuing_ && now < end_ns_ && (o_.max_requests == 0 || issued_ < o_.max_requests);
  }
  bool OpenConn(uint64_t origin_ns, bool with_request);
  void Send(Conn* c, uint64_t origin_ns);
  void Complete(Conn* c);
  void Fail(Conn* c, uint64_t* counter);
  void Close(Conn* c);
  void Kick();
  void Generate(uint64_t now);
  void Start();
  void MaybeFinish();
  void PrintProgress(bool final_line);

  const LoadOptions& o_;
  const Corpus& corpus_;
  MixPicker picker_;
  std::mt19937_64 rng_;
  uv_loop_t loop_{};
  uv_timer_t tick_{}, progress_{};
  // Open loop: an idle handle releases due requests on every loop turn, to
  // the microsecond; a 1 ms timer would add up to 1 ms to every latency. It
  // keeps the client core busy, which is what the client core is for.
  uv_idle_t pace_{};
  sockaddr_storage addr_{};
  std::string host_header_;
  LoadResult result_;
  Histogram interval_;
  std::deque<uint64_t> backlog_;  // open loop: due times not yet sent
  std::vector<Conn*> idle_;
  std::vector<Conn*> all_;  // open connections, for timeouts and shutdown
  bool started_ = false;
  bool stop_issuing_ = false;
  bool finished_ = false;
  int pending_connects_ = 0;
  int wanted_conns_ = 0;
  int inflight_ = 0;  // new-connection mode: connections carrying a request
  uint64_t issued_ = 0;
  uint64_t start_ns_ = 0, warm_end_ns_ = 0, end_ns_ = UINT64_MAX, last_answer_ns_ = 0;
  uint64_t next_due_ns_ = 0;
  uint64_t interval_done_ = 0;
  uint64_t sample_counter_ = 0;
  uint64_t due_count_ = 0;
  bool kicking_ = false;
};

Conn* ConnOf(uv_handle_t* h) { return static_cast<Conn*>(h->data); }

bool Runner::OpenConn(uint64_t origin_ns, bool with_request) {
  auto owned = std::make_unique<Conn>();
  Conn* c = owned.get();
  c->runner = this;
  if (uv_tcp_init(&loop_, &c->tcp) != 0) {
    ++result_.transport_errors;
    return false;
  }
  c->tcp.data = owned.release();  // freed in OnClosed
  all_.push_back(c);
  ++result_.connections_opened;
  uv_tcp_nodelay(&c->tcp, 1);
  if (with_request) {
    c->busy = true;
    c->origin_ns = origin_ns;
    ++inflight_;
  }
  c->connect_req.data = c;
  int rc = uv_tcp_connect(&c->connect_req, &c->tcp, reinterpret_cast<sockaddr*>(&addr_),
                          [](uv_connect_t* req, int status) {
                            static_cast<Conn*>(req->data)->runner->OnConnect(
                                static_cast<Conn*>(req->data), status);
                          });
  if (rc != 0) {
    Fail(c, &result_.transport_errors);
    return false;
  }
  ++pending_connects_;
  return true;
}

void Runner::OnConnect(Conn* c, int status) {
  --pending_connects_;
  if (c->closing) return;
  if (status != 0) {
    Fail(c, &result_.transport_errors);
    return;
  }
  c->connected = true;
  int rc = uv_read_start(
      reinterpret_cast<uv_stream_t*>(&c->tcp),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        Conn* conn = ConnOf(h);
        *buf = uv_buf_init(conn->rbuf, sizeof(conn->rbuf));
      },
      [](uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
        ConnOf(reinterpret_cast<uv_handle_t*>(s))
            ->runner->OnRead(ConnOf(reinterpret_cast<uv_handle_t*>(s)), nread);
      });
  if (rc != 0) {
    Fail(c, &result_.transport_errors);
    return;
  }
  if (c->busy) {
    Send(c, c->origin_ns);  // new-connection mode: the request was waiting for us
    return;
  }
  idle_.push_back(c);
  if (!started_ && pending_connects_ == 0) Start();
  Kick();
}

void Runner::Send(Conn* c, uint64_t origin_ns) {
  const CorpusEntry& e = corpus_.entries()[picker_.Pick(rng_)];
  c->entry = static_cast<uint32_t>(&e - corpus_.entries().data());
  std::uniform_real_distribution<double> u(0.0, 1.0);
  c->had_nonce = o_.mix.nonce_fraction > 0 && u(rng_) < o_.mix.nonce_fraction;
  bool get = o_.mix.get_fraction > 0 && u(rng_) < o_.mix.get_fraction;
  std::string_view body = e.post_body;
  std::string nonce_target;
  if (c->had_nonce) {
    uint8_t nonce[kBenchNonceBytes];
    for (size_t i = 0; i < sizeof(nonce); i += 8) {
      uint64_t r = rng_();
      std::copy_n(reinterpret_cast<uint8_t*>(&r), 8, nonce + i);
    }
    c->der.clear();
    BuildRequest(e.cert_id_der, nonce, &c->der);
    body = c->der;
    if (get) nonce_target = GetTarget(c->der);
  }
  bool http10 = o_.conn_mode == ConnMode::kNewConnection;
  c->out.clear();
  if (get) {
    c->out += "GET ";
    // The path is a prefix: "/" + base64 under "/", or "/ocsp" + "/" + base64.
    std::string_view prefix = o_.path;
    if (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
    c->out += prefix;
    c->out += c->had_nonce ? std::string_view(nonce_target) : std::string_view(e.get_target);
  } else {
    c->out += "POST ";
    c->out += o_.path;
  }
  c->out += http10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n";
  // ISE and ClearPass send HTTP/1.0 with no Host header; new-connection mode does too.
  if (!http10) c->out += host_header_;
  if (!get) {
    c->out += "Content-Type: application/ocsp-request\r\nContent-Length: ";
    c->out += std::to_string(body.size());
    c->out += "\r\n\r\n";
    c->out += body;
  } else {
    c->out += "\r\n";
  }
  if (!c->busy) {
    c->busy = true;
  }
  c->origin_ns = origin_ns;
  c->sent_ns = uv_hrtime();
  c->reader.Reset();
  ++issued_;
  uv_buf_t buf = uv_buf_init(c->out.data(), static_cast<unsigned>(c->out.size()));
  int n = uv_try_write(reinterpret_cast<uv_stream_t*>(&c->tcp), &buf, 1);
  if (n == static_cast<int>(c->out.size())) return;
  if (n < 0 && n != UV_EAGAIN) {
    Fail(c, &result_.transport_errors);
    return;
  }
  size_t done = n > 0 ? static_cast<size_t>(n) : 0;
  buf = uv_buf_init(c->out.data() + done, static_cast<unsigned>(c->out.size() - done));
  c->write_req.data = c;
  if (uv_write(&c->write_req, reinterpret_cast<uv_stream_t*>(&c->tcp), &buf, 1,
               [](uv_write_t* req, int status) {
                 static_cast<Conn*>(req->data)->runner->OnWriteDone(static_cast<Conn*>(req->data),
                                                                    status);
               }) != 0) {
    Fail(c, &result_.transport_errors);
  }
}

void Runner::OnWriteDone(Conn* c, int status) {
  if (status != 0 && status != UV_ECANCELED && !c->closing) Fail(c, &result_.transport_errors);
}

void Runner::OnRead(Conn* c, ssize_t nread) {
  if (c->closing) return;
  if (nread < 0) {
    if (!c->busy) {
      Close(c);  // an idle keep-alive connection the server let go
      return;
    }
    c->reader.OnEof();
    if (c->reader.state() == HttpResponseReader::State::kDone)
      Complete(c);
    else
      Fail(c, &result_.transport_errors);
    return;
  }
  if (nread == 0) return;
  result_.bytes_received += static_cast<uint64_t>(nread);
  if (!c->busy) return;  // nothing asked; ignore
  c->reader.Feed(c->rbuf, static_cast<size_t>(nread));
  if (c->reader.state() == HttpResponseReader::State::kDone)
    Complete(c);
  else if (c->reader.state() == HttpResponseReader::State::kError)
    Fail(c, &result_.transport_errors);
}

// OcspResponseStatusOf reads responseStatus (the first ENUMERATED) without a
// full parse: 30 len 0A 01 status.
int OcspResponseStatusOf(std::string_view der) {
  if (der.size() < 5 || static_cast<uint8_t>(der[0]) != 0x30) return -1;
  size_t i = 1;
  uint8_t l = static_cast<uint8_t>(der[i++]);
  if (l & 0x80) i += l & 0x7F;
  if (i + 3 > der.size() || der[i] != 0x0A || der[i + 1] != 0x01) return -1;
  return static_cast<uint8_t>(der[i + 2]);
}

void Runner::Complete(Conn* c) {
  uint64_t now = uv_hrtime();
  c->busy = false;
  ++result_.completed;
  last_answer_ns_ = now;
  bool record = c->origin_ns >= warm_end_ns_;
  if (c->reader.status() != 200) {
    ++result_.http_errors;
  } else if (OcspResponseStatusOf(c->reader.body()) != 0) {
    ++result_.ocsp_errors;
  }
  if (record) {
    result_.latency.Record(now - c->origin_ns);
    interval_.Record(now - c->origin_ns);
    ++result_.recorded;
    ++interval_done_;
  }
  if (o_.verify_every > 0 && c->reader.status() == 200 && result_.samples.size() < o_.max_samples &&
      sample_counter_++ % o_.verify_every == 0) {
    Sample s;
    s.entry = c->entry;
    s.had_nonce = c->had_nonce;
    s.request = c->had_nonce ? c->der : corpus_.entries()[c->entry].post_body;
    s.response.assign(c->reader.body());
    result_.samples.push_back(std::move(s));
  }
  if (o_.conn_mode == ConnMode::kNewConnection) {
    --inflight_;
    Close(c);
    Kick();
    return;
  }
  if (!c->reader.keep_alive()) {
    // The server closes after each answer (openssl ocsp does): replace it.
    Close(c);
    if (Issuing(now)) OpenConn(0, false);
    return;
  }
  idle_.push_back(c);
  Kick();
}

void Runner::Fail(Conn* c, uint64_t* counter) {
  if (c->closing) return;
  ++*counter;
  if (c->busy) {
    c->busy = false;
    if (o_.conn_mode == ConnMode::kNewConnection) --inflight_;
  }
  Close(c);
  Kick();
}

void Runner::Close(Conn* c) {
  if (c->closing) return;
  c->closing = true;
  idle_.erase(std::remove(idle_.begin(), idle_.end(), c), idle_.end());
  all_.erase(std::remove(all_.begin(), all_.end(), c), all_.end());
  uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp),
           [](uv_handle_t* h) { ConnOf(h)->runner->OnClosed(ConnOf(h)); });
}

void Runner::OnClosed(Conn* c) {
  std::unique_ptr<Conn> owned(c);  // ours since OpenConn
  if (!started_ && pending_connects_ == 0 && o_.conn_mode == ConnMode::kKeepAlive) Start();
  MaybeFinish();
}

void Runner::Start() {
  if (started_) return;
  started_ = true;
  start_ns_ = uv_hrtime();
  warm_end_ns_ = start_ns_ + static_cast<uint64_t>(o_.warmup_s * kNsPerS);
  end_ns_ = start_ns_ + static_cast<uint64_t>((o_.warmup_s + o_.duration_s) * kNsPerS);
  next_due_ns_ = start_ns_;
  if (o_.conn_mode == ConnMode::kNewConnection && o_.loop == LoopKind::kClosed) {
    for (int i = 0; i < o_.connections && Issuing(start_ns_); ++i) OpenConn(uv_hrtime(), true);
  }
  Kick();
}

void Runner::Kick() {
  // Fail() calls Kick(); a connect that fails at once must not recurse.
  if (!started_ || kicking_) return;
  kicking_ = true;
  uint64_t now = uv_hrtime();
  if (o_.loop == LoopKind::kClosed) {
    if (o_.conn_mode == ConnMode::kKeepAlive) {
      while (!idle_.empty() && Issuing(now)) {
        Conn* c = idle_.back();
        idle_.pop_back();
        Send(c, uv_hrtime());
      }
    } else {
      while (inflight_ < o_.connections && Issuing(now)) {
        if (!OpenConn(uv_hrtime(), true)) break;
      }
    }
  } else {
    if (now >= end_ns_) {
      // Due but never sent by the end: the server fell behind; say how many.
      result_.unsent += backlog_.size();
      backlog_.clear();
    }
    while (!backlog_.empty()) {
      if (o_.conn_mode == ConnMode::kKeepAlive) {
        if (idle_.empty()) break;
        Conn* c = idle_.back();
        idle_.pop_back();
        Send(c, backlog_.front());
      } else {
        if (inflight_ >= o_.connections) break;
        if (!OpenConn(backlog_.front(), true)) {
          backlog_.pop_front();
          break;
        }
      }
      backlog_.pop_front();
    }
  }
  kicking_ = false;
  MaybeFinish();
}

void Runner::Generate(uint64_t now) {
  double gap = kNsPerS / o_.rate;
  while (next_due_ns_ <= now && Issuing(next_due_ns_)) {
    backlog_.push_back(next_due_ns_);
    // issued_ counts sends; count the due ones here so the cap holds.
    next_due_ns_ = start_ns_ + static_cast<uint64_t>(gap * static_cast<double>(++due_count_));
    if (o_.max_requests != 0 && due_count_ >= o_.max_requests) stop_issuing_ = true;
  }
  result_.backlog_max = std::max<uint64_t>(result_.backlog_max, backlog_.size());
}

void Runner::OnPace() {
  if (!started_ || finished_) return;
  Generate(uv_hrtime());
  Kick();
}

void Runner::OnTick() {
  uint64_t now = uv_hrtime();
  if (!started_) {
    if (pending_connects_ == 0) Start();
    return;
  }
  if (o_.loop == LoopKind::kOpen) Generate(now);
  if (now >= end_ns_) stop_issuing_ = true;
  // Keep-alive: replace connections lost to errors, a few per tick.
  if (o_.conn_mode == ConnMode::kKeepAlive && !stop_issuing_) {
    int open = static_cast<int>(all_.size());
    for (int i = 0; i < kReconnectsPerTick && open + i < wanted_conns_; ++i) OpenConn(0, false);
  }
  // Time out requests that have waited too long.
  uint64_t limit = static_cast<uint64_t>(o_.timeout_ms) * kNsPerMs;
  std::vector<Conn*> late;
  for (Conn* c : all_) {
    if (c->busy && now - (c->sent_ns ? c->sent_ns : c->origin_ns) > limit) late.push_back(c);
  }
  for (Conn* c : late) Fail(c, &result_.timeouts);
  // Past the end plus one timeout nothing is still worth waiting for.
  if (now > end_ns_ + limit) {
    stop_issuing_ = true;
    backlog_.clear();
    std::vector<Conn*> rest = all_;
    for (Conn* c : rest) {
      if (c->busy)
        Fail(c, &result_.timeouts);
      else
        Close(c);
    }
  }
  Kick();
}

void Runner::MaybeFinish() {
  if (finished_ || !started_) return;
  uint64_t now = uv_hrtime();
  if (Issuing(now)) return;
  if (!backlog_.empty()) return;
  for (Conn* c : all_) {
    if (c->busy) return;
  }
  if (inflight_ > 0) return;
  finished_ = true;
  backlog_.clear();
  std::vector<Conn*> rest = all_;
  for (Conn* c : rest) Close(c);
  uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&progress_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&pace_), nullptr);
}

void Runner::PrintProgress(bool final_line) {
  if (!o_.progress) return;
  double t = started_ ? (uv_hrtime() - start_ns_) / 1e9 : 0.0;
  std::fprintf(stderr,
               "%s[%6.1fs] %10llu answers %9.0f/s  p50 %8.3f ms  p99 %8.3f ms  errors %llu%s",
               isatty(2) ? "\r" : "", t, static_cast<unsigned long long>(result_.completed),
               static_cast<double>(interval_done_), interval_.ValueAt(0.5) / 1e6,
               interval_.ValueAt(0.99) / 1e6, static_cast<unsigned long long>(result_.Errors()),
               (final_line || !isatty(2)) ? "\n" : "");
}

void Runner::OnProgress() {
  PrintProgress(false);
  interval_.Reset();
  interval_done_ = 0;
}

Result<LoadResult> Runner::Run() {
  if (Result<void> ok = picker_.Check(); !ok) return keyward::Fail(ok.error());
  sockaddr_in* v4 = reinterpret_cast<sockaddr_in*>(&addr_);
  sockaddr_in6* v6 = reinterpret_cast<sockaddr_in6*>(&addr_);
  if (uv_ip4_addr(o_.host.c_str(), o_.port, v4) != 0 &&
      uv_ip6_addr(o_.host.c_str(), o_.port, v6) != 0) {
    return keyward::Fail("host '" + o_.host + "' is not a numeric IP address");
  }
  bool v6host = o_.host.find(':') != std::string::npos;
  host_header_ =
      "Host: " + (v6host ? "[" + o_.host + "]" : o_.host) + ":" + std::to_string(o_.port) + "\r\n";
  if (o_.loop == LoopKind::kOpen && o_.rate <= 0)
    return keyward::Fail("open loop needs --rate > 0");
  if (o_.connections < 1) return keyward::Fail("--connections must be at least 1");
  if (uv_loop_init(&loop_) != 0) return keyward::Fail("uv_loop_init failed");
  uv_timer_init(&loop_, &tick_);
  uv_timer_init(&loop_, &progress_);
  uv_idle_init(&loop_, &pace_);
  tick_.data = progress_.data = pace_.data = this;
  if (o_.loop == LoopKind::kOpen) {
    uv_idle_start(&pace_, [](uv_idle_t* h) { static_cast<Runner*>(h->data)->OnPace(); });
  }
  uv_timer_start(
      &tick_, [](uv_timer_t* t) { static_cast<Runner*>(t->data)->OnTick(); }, 1, 1);
  uv_timer_start(
      &progress_, [](uv_timer_t* t) { static_cast<Runner*>(t->data)->OnProgress(); }, 1000, 1000);
  if (o_.conn_mode == ConnMode::kKeepAlive) {
    wanted_conns_ = o_.connections;
    for (int i = 0; i < o_.connections; ++i) OpenConn(0, false);
  } else {
    Start();
  }
  uv_run(&loop_, UV_RUN_DEFAULT);
  PrintProgress(true);
  if (uv_loop_close(&loop_) != 0) std::fprintf(stderr, "warning: handles left open at exit\n");
  uint64_t last = std::max(last_answer_ns_, warm_end_ns_);
  result_.measured_s = started_ ? (last - warm_end_ns_) / 1e9 : 0;
  return std::move(result_);
}

}  // namespace

Result<LoadResult> RunLoad(const LoadOptions& options, const Corpus& corpus) {
  Runner runner(options, corpus);
  return runner.Run();
}

}  // namespace keyward::bench
