#include "responder/worker.h"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "responder/ocsp_handler.h"

namespace keyward::responder {

Worker::Worker(size_t index, Context& ctx, std::vector<int> listen_fds)
    : index_(index), ctx_(ctx), fds_(std::move(listen_fds)) {
  const config::ResponderConfig& rc = ctx.responder;
  limits_.http.max_url_bytes = rc.max_url_bytes;
  limits_.http.max_body_bytes = rc.max_body_bytes;
  limits_.http.max_header_bytes = rc.max_header_bytes;
  limits_.header_timeout_ms = static_cast<uint64_t>(rc.header_timeout_ms);
  limits_.idle_timeout_ms = static_cast<uint64_t>(rc.idle_timeout_ms);
}

Worker::~Worker() {
  Join();
  for (int fd : fds_) {
    if (fd >= 0) close(fd);
  }
  if (loop_open_) uv_loop_close(&loop_);
}

bool Worker::Start() {
  if (uv_loop_init(&loop_) != 0) return false;
  loop_open_ = true;
  loop_.data = this;
  if (uv_async_init(&loop_, &stop_async_, OnStop) != 0) return false;
  stop_async_.data = this;
  if (!inbox_bell_.Init(&loop_, OnInbox, this)) return false;
  if (uv_timer_init(&loop_, &date_timer_) != 0) return false;
  date_timer_.data = this;
  RefreshDate();
  if (uv_timer_start(&date_timer_, OnDateTimer, 1000, 1000) != 0) return false;
  for (int& fd : fds_) {
    auto tcp = std::make_unique<uv_tcp_t>();
    if (uv_tcp_init(&loop_, tcp.get()) != 0) return false;
    tcp->data = this;
    if (uv_tcp_open(tcp.get(), fd) != 0) return false;
    fd = -1;  // libuv owns it now
    if (uv_listen(reinterpret_cast<uv_stream_t*>(tcp.get()), 1024, OnConnection) != 0) {
      return false;
    }
    listeners_.push_back(std::move(tcp));
  }
  handler_ = std::make_unique<OcspHandler>(*this);
  redis_ = std::make_unique<AsyncRedis>(&loop_, ctx_.store.endpoint, this,
                                        "worker" + std::to_string(index_));
  redis_->Start();
  thread_ = std::thread([this] { Run(); });
  return true;
}

void Worker::Run() {
  const std::string name = "kw-loop" + std::to_string(index_);
  pthread_setname_np(pthread_self(), name.c_str());  // at most 15 characters
  uv_run(&loop_, UV_RUN_DEFAULT);
  // Handles closed in Shutdown may still have close callbacks queued.
  uv_run(&loop_, UV_RUN_DEFAULT);
}

void Worker::Stop() {
  {
    std::lock_guard lock(inbox_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (loop_open_) uv_async_send(&stop_async_);
}

void Worker::Join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::Post(std::function<void(Worker&)> fn) {
  std::lock_guard lock(inbox_mu_);
  if (stopping_) return;
  const bool was_empty = inbox_.empty();
  inbox_.push_back(std::move(fn));
  // A non-empty inbox has been rung for already, and OnInbox takes it whole.
  // Rung under the lock: Shutdown closes the bell only after Stop has set
  // stopping_ under this lock, so no Ring can reach a closed eventfd.
  if (was_empty) inbox_bell_.Ring();
}

void Worker::OnInbox(void* data) {
  Worker* self = static_cast<Worker*>(data);
  std::vector<std::function<void(Worker&)>> batch;
  {
    std::lock_guard lock(self->inbox_mu_);
    batch.swap(self->inbox_);
  }
  for (auto& fn : batch) fn(*self);
}

void Worker::OnStop(uv_async_t* a) { static_cast<Worker*>(a->data)->Shutdown(); }

void Worker::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  for (auto& l : listeners_) uv_close(reinterpret_cast<uv_handle_t*>(l.get()), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&date_timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&stop_async_), nullptr);
  inbox_bell_.Close();
  if (redis_) redis_->Stop();
  std::vector<Connection*> open;
  for (auto& [id, c] : conns_) open.push_back(c.get());
  for (Connection* c : open) c->Close();
}

void Worker::OnConnection(uv_stream_t* server, int status) {
  Worker* self = static_cast<Worker*>(server->data);
  if (status < 0 || self->shut_down_) return;
  Context& ctx = self->ctx_;
  uint64_t id = self->next_id_++;
  auto conn = std::make_unique<Connection>(*self, id, self->limits_, self->handler_.get());
  Connection* c = conn.get();
  self->conns_.emplace(id, std::move(conn));
  int64_t open = ctx.connections.fetch_add(1) + 1;
  ctx.metrics.connections_open.fetch_add(1, std::memory_order_relaxed);
  if (!c->Accept(server)) {
    c->Close();
    return;
  }
  if (open > ctx.responder.max_connections) {
    // Over the cap: accept (so the backlog does not fill) and close at once.
    self->metrics().connections_refused.fetch_add(1, std::memory_order_relaxed);
    c->Close();
    return;
  }
  self->metrics().connections_accepted.fetch_add(1, std::memory_order_relaxed);
}

Connection* Worker::FindConnection(uint64_t id) {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : it->second.get();
}

void Worker::ConnectionClosed(uint64_t id) {
  if (conns_.erase(id) > 0) {
    ctx_.connections.fetch_sub(1);
    ctx_.metrics.connections_open.fetch_sub(1, std::memory_order_relaxed);
  }
}

void Worker::RefreshDate() { FormatHttpDate(ctx_.clock->NowSeconds(), date_); }

void Worker::OnDateTimer(uv_timer_t* t) { static_cast<Worker*>(t->data)->RefreshDate(); }

void Worker::OnRedisReady(AsyncRedis&) { metrics().redis_connected.store(true); }

void Worker::OnRedisLost(AsyncRedis&) { metrics().redis_connected.store(false); }

}  // namespace keyward::responder
