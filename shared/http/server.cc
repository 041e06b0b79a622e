#include "shared/http/server.h"

#include <llhttp.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <utility>

namespace keyward::http {
namespace {

constexpr size_t kReadBufferBytes = 64 * 1024;
constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";

struct WriteReq {
  uv_write_t req{};
  std::string data;
  bool close_after = false;
  bool interim = false;  // "100 Continue": the request is still being read
};

std::string PeerName(uv_tcp_t* tcp) {
  sockaddr_storage addr{};
  int len = sizeof(addr);
  if (uv_tcp_getpeername(tcp, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "";
  char host[64] = {0};
  int port = 0;
  if (addr.ss_family == AF_INET6) {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&addr);
    if (uv_ip6_name(a6, host, sizeof(host)) != 0) return "";
    port = ntohs(a6->sin6_port);
    return std::string("[") + host + "]:" + std::to_string(port);
  }
  auto* a4 = reinterpret_cast<sockaddr_in*>(&addr);
  if (uv_ip4_name(a4, host, sizeof(host)) != 0) return "";
  port = ntohs(a4->sin_port);
  return std::string(host) + ":" + std::to_string(port);
}

}  // namespace

// Connection: one accepted socket, its parser and its timer. It owns itself:
// Close() closes both handles and the last close callback deletes it.
class Server::Connection {
 public:
  Connection(Server* server, uint64_t id) : server_(server), id_(id) {
    llhttp_settings_init(&settings_);
    settings_.on_message_begin = &Connection::OnMessageBegin;
    settings_.on_url = &Connection::OnUrl;
    settings_.on_header_field = &Connection::OnHeaderField;
    settings_.on_header_value = &Connection::OnHeaderValue;
    settings_.on_headers_complete = &Connection::OnHeadersComplete;
    settings_.on_body = &Connection::OnBody;
    settings_.on_message_complete = &Connection::OnMessageComplete;
    llhttp_init(&parser_, HTTP_REQUEST, &settings_);
    parser_.data = this;
    tcp_.data = this;
    timer_.data = this;
  }

  uv_tcp_t* tcp() { return &tcp_; }
  uv_timer_t* timer() { return &timer_; }
  uint64_t id() const { return id_; }
  bool closing() const { return closing_; }

  void Start() {
    remote_ = PeerName(&tcp_);
    ArmTimer(server_->options_.header_timeout_ms);
    StartReading();
  }

  void Respond(const Response& response) {
    bool keep_alive = keep_alive_ && !server_->shutting_down_;
    Write(Serialise(response, keep_alive, http_minor_), !keep_alive);
  }

  void Close() {
    if (closing_) return;
    closing_ = true;
    server_->connections_.erase(id_);
    server_->connection_count_.fetch_sub(1);
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &Connection::OnHandleClosed);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), &Connection::OnHandleClosed);
  }

 private:
  static Connection* From(llhttp_t* p) { return static_cast<Connection*>(p->data); }

  void StartReading() {
    if (uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), &Connection::OnAlloc,
                      &Connection::OnRead) != 0) {
      Close();
    }
  }

  void ArmTimer(int ms) {
    if (uv_timer_start(&timer_, &Connection::OnTimeout, static_cast<uint64_t>(ms), 0) != 0) {
      Close();
    }
  }

  // Fail answers a request that cannot be served and closes after the write.
  void Fail(int status) {
    failed_ = true;
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
    uv_timer_stop(&timer_);
    Response r = Response::Text(status, std::string(StatusReason(status)) + "\n");
    Write(Serialise(r, false, 1), true);
  }

  void Write(std::string data, bool close_after, bool interim = false) {
    auto w = std::make_unique<WriteReq>();
    w->data = std::move(data);
    w->close_after = close_after;
    w->interim = interim;
    w->req.data = this;
    uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
    if (uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1, &Connection::OnWritten) !=
        0) {
      Close();
      return;
    }
    w.release();  // owned by libuv until OnWritten
  }

  // Feed parses bytes; a complete request pauses the parser and is dispatched.
  void Feed(const char* data, size_t len) {
    llhttp_errno_t err = llhttp_execute(&parser_, data, len);
    if (err == HPE_OK) return;
    if (err == HPE_PAUSED) {
      const char* pos = llhttp_get_error_pos(&parser_);
      size_t used = pos == nullptr ? len : static_cast<size_t>(pos - data);
      pending_.assign(data + used, len - used);
      uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
      uv_timer_stop(&timer_);
      busy_ = true;
      server_->Dispatch(this, std::move(request_));
      request_ = Request();
      return;
    }
    Fail(error_status_ != 0 ? error_status_ : 400);
  }

  void AfterResponse() {
    busy_ = false;
    ArmTimer(server_->options_.idle_timeout_ms);
    llhttp_resume(&parser_);
    if (!pending_.empty()) {
      std::string rest = std::move(pending_);
      pending_.clear();
      Feed(rest.data(), rest.size());  // a pipelined request
    }
    if (closing_ || busy_ || failed_) return;
    StartReading();
  }

  static void OnAlloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
    auto* c = static_cast<Connection*>(h->data);
    c->read_buf_.resize(kReadBufferBytes);
    *buf = uv_buf_init(c->read_buf_.data(), static_cast<unsigned>(c->read_buf_.size()));
  }

  static void OnRead(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
    auto* c = static_cast<Connection*>(s->data);
    if (n < 0) {
      c->Close();  // EOF or error; a half-received request is dropped
      return;
    }
    if (n == 0 || c->failed_ || c->busy_) return;
    c->Feed(buf->base, static_cast<size_t>(n));
  }

  static void OnWritten(uv_write_t* req, int status) {
    std::unique_ptr<WriteReq> w(reinterpret_cast<WriteReq*>(req));
    auto* c = static_cast<Connection*>(req->data);
    if (c->closing_) return;
    if (status < 0 || w->close_after) {
      c->Close();
      return;
    }
    if (w->interim) return;
    c->AfterResponse();
  }

  static void OnTimeout(uv_timer_t* t) {
    auto* c = static_cast<Connection*>(t->data);
    if (c->in_request_) {
      c->Fail(408);
    } else {
      c->Close();
    }
  }

  static void OnHandleClosed(uv_handle_t* h) {
    auto* c = static_cast<Connection*>(h->data);
    if (--c->open_handles_ == 0) std::unique_ptr<Connection> owned(c);
  }

  static int OnMessageBegin(llhttp_t* p) {
    Connection* c = From(p);
    c->in_request_ = true;
    c->header_bytes_ = 0;
    c->ArmTimer(c->server_->options_.header_timeout_ms);
    return 0;
  }

  static int OnUrl(llhttp_t* p, const char* at, size_t len) {
    Connection* c = From(p);
    if (c->request_.target.size() + len > c->server_->options_.max_url_bytes) {
      c->error_status_ = 414;
      return -1;
    }
    c->request_.target.append(at, len);
    return 0;
  }

  bool CountHeaderBytes(size_t len) {
    header_bytes_ += len;
    if (header_bytes_ <= server_->options_.max_header_bytes) return true;
    error_status_ = 431;
    return false;
  }

  static int OnHeaderField(llhttp_t* p, const char* at, size_t len) {
    Connection* c = From(p);
    if (!c->CountHeaderBytes(len)) return -1;
    std::vector<Header>& hs = c->request_.headers;
    if (hs.empty() || c->in_value_) hs.emplace_back();
    c->in_value_ = false;
    hs.back().name.append(at, len);
    return 0;
  }

  static int OnHeaderValue(llhttp_t* p, const char* at, size_t len) {
    Connection* c = From(p);
    if (!c->CountHeaderBytes(len)) return -1;
    if (c->request_.headers.empty()) return -1;
    c->in_value_ = true;
    c->request_.headers.back().value.append(at, len);
    return 0;
  }

  static int OnHeadersComplete(llhttp_t* p) {
    Connection* c = From(p);
    c->in_value_ = false;
    Request& r = c->request_;
    r.method = llhttp_method_name(static_cast<llhttp_method_t>(llhttp_get_method(p)));
    r.http_major = llhttp_get_http_major(p);
    r.http_minor = llhttp_get_http_minor(p);
    c->http_minor_ = r.http_minor;
    r.remote = c->remote_;
    size_t q = r.target.find('?');
    r.path = r.target.substr(0, q);
    r.query = q == std::string::npos ? std::string() : r.target.substr(q + 1);
    if ((p->flags & F_CONTENT_LENGTH) != 0 &&
        p->content_length > c->server_->options_.max_body_bytes) {
      c->error_status_ = 413;
      return -1;
    }
    const std::string* expect = r.FindHeader("Expect");
    if (expect != nullptr && strcasecmp(expect->c_str(), "100-continue") == 0 &&
        r.http_minor >= 1) {
      c->Write(kContinue, false, true);
    }
    return 0;
  }

  static int OnBody(llhttp_t* p, const char* at, size_t len) {
    Connection* c = From(p);
    if (c->request_.body.size() + len > c->server_->options_.max_body_bytes) {
      c->error_status_ = 413;
      return -1;
    }
    c->request_.body.append(at, len);
    return 0;
  }

  static int OnMessageComplete(llhttp_t* p) {
    Connection* c = From(p);
    c->in_request_ = false;
    c->keep_alive_ = llhttp_should_keep_alive(p) != 0;
    return HPE_PAUSED;
  }

  Server* server_;
  uint64_t id_;
  uv_tcp_t tcp_{};
  uv_timer_t timer_{};
  llhttp_t parser_{};
  llhttp_settings_t settings_{};
  std::string read_buf_;
  std::string pending_;  // bytes after a complete request, parsed once it is answered
  std::string remote_;
  Request request_;
  size_t header_bytes_ = 0;
  int error_status_ = 0;
  int http_minor_ = 1;
  int open_handles_ = 2;
  bool in_value_ = false;
  bool in_request_ = false;
  bool keep_alive_ = false;
  bool busy_ = false;    // a request is with the handler or its answer is being written
  bool failed_ = false;  // an error answer is on its way; then the connection closes
  bool closing_ = false;
};

Server::Server(uv_loop_t* loop, ServerOptions options, Handler handler)
    : loop_(loop),
      options_(options),
      handler_(std::move(handler)),
      pool_(options.worker_threads, options.max_queued) {
  // Both handles are required for the server to work at all; failing here
  // leaves nothing to recover, so it is reported at start-up by Listen.
  done_async_.data = this;
  stop_async_.data = this;
  if (uv_async_init(loop_, &done_async_, &Server::OnDone) != 0 ||
      uv_async_init(loop_, &stop_async_, &Server::OnStop) != 0) {
    spdlog::critical("http: uv_async_init failed");
  }
}

Server::~Server() { pool_.Stop(); }

Result<int> Server::Listen(const std::string& host, int port) {
  sockaddr_storage addr{};
  std::string where = host + ":" + std::to_string(port);
  if (host.find(':') != std::string::npos) {
    if (uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&addr)) != 0) {
      return Fail("bad listen address " + where);
    }
  } else if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&addr)) != 0) {
    return Fail("bad listen address " + where);
  }
  auto tcp = std::make_unique<uv_tcp_t>();
  if (int rc = uv_tcp_init(loop_, tcp.get()); rc != 0) return Fail(uv_strerror(rc));
  tcp->data = this;
  uv_tcp_t* raw = tcp.get();
  listeners_.push_back(std::move(tcp));  // kept until destruction: closed by DoShutdown
  if (int rc = uv_tcp_bind(raw, reinterpret_cast<sockaddr*>(&addr), 0); rc != 0) {
    return Fail("bind " + where + ": " + uv_strerror(rc));
  }
  if (int rc = uv_listen(reinterpret_cast<uv_stream_t*>(raw), 511, &Server::OnConnection);
      rc != 0) {
    return Fail("listen " + where + ": " + uv_strerror(rc));
  }
  sockaddr_storage bound{};
  int len = sizeof(bound);
  if (uv_tcp_getsockname(raw, reinterpret_cast<sockaddr*>(&bound), &len) != 0) return port;
  if (bound.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
}

void Server::OnConnection(uv_stream_t* listener, int status) {
  auto* self = static_cast<Server*>(listener->data);
  if (status < 0 || self->shutting_down_) return;
  auto conn = std::make_unique<Connection>(self, self->next_id_++);
  if (uv_tcp_init(self->loop_, conn->tcp()) != 0) return;
  if (uv_timer_init(self->loop_, conn->timer()) != 0) {
    // The tcp handle is initialised: it must be closed, which frees conn.
    Connection* c = conn.release();
    uv_close(reinterpret_cast<uv_handle_t*>(c->tcp()), [](uv_handle_t* h) {
      std::unique_ptr<Connection>(static_cast<Connection*>(h->data));
    });
    return;
  }
  Connection* c = conn.release();  // owns itself from here: Close() frees it
  self->connections_[c->id()] = c;
  self->connection_count_.fetch_add(1);
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(c->tcp())) != 0) {
    c->Close();
    return;
  }
  if (self->connection_count_.load() > static_cast<size_t>(self->options_.max_connections)) {
    c->Close();  // over the cap: accepted only to take it off the backlog
    return;
  }
  uv_tcp_nodelay(c->tcp(), 1);
  c->Start();
}

void Server::Dispatch(Connection* conn, Request request) {
  uint64_t id = conn->id();
  bool queued = pool_.TrySubmit([this, id, req = std::move(request)]() {
    Response response = handler_(req);
    {
      std::lock_guard<std::mutex> lock(done_mu_);
      done_.push_back(Done{id, std::move(response)});
    }
    uv_async_send(&done_async_);
  });
  if (!queued) {
    Response busy = Response::Text(503, "busy, retry later\n");
    busy.headers.push_back({"Retry-After", "1"});
    conn->Respond(busy);
  }
}

void Server::OnDone(uv_async_t* async) {
  auto* self = static_cast<Server*>(async->data);
  std::vector<Done> done;
  {
    std::lock_guard<std::mutex> lock(self->done_mu_);
    done.swap(self->done_);
  }
  for (Done& d : done) {
    auto it = self->connections_.find(d.connection_id);
    if (it == self->connections_.end() || it->second->closing()) continue;  // client left
    it->second->Respond(d.response);
  }
}

void Server::Shutdown() {
  stop_requested_.store(true);
  uv_async_send(&stop_async_);
}

void Server::OnStop(uv_async_t* async) { static_cast<Server*>(async->data)->DoShutdown(); }

void Server::DoShutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  for (auto& l : listeners_) uv_close(reinterpret_cast<uv_handle_t*>(l.get()), nullptr);
  std::vector<Connection*> open;
  open.reserve(connections_.size());
  for (auto& [id, c] : connections_) open.push_back(c);
  for (Connection* c : open) c->Close();
  pool_.Stop();  // running handlers finish; their answers are dropped below
  uv_close(reinterpret_cast<uv_handle_t*>(&done_async_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&stop_async_), nullptr);
}

}  // namespace keyward::http
