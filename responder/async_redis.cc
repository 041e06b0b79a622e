#include "responder/async_redis.h"

#include <spdlog/spdlog.h>

#include <memory>

namespace keyward::responder {
namespace {

constexpr uint64_t kMinBackoffMs = 50;
constexpr uint64_t kMaxBackoffMs = 2000;

// The libuv side of a hiredis context: one uv_poll_t on its socket. Freed in
// the poll handle's close callback.
struct UvEvents {
  redisAsyncContext* context = nullptr;
  uv_poll_t handle;
  int events = 0;
};

void OnPoll(uv_poll_t* handle, int status, int events) {
  UvEvents* p = static_cast<UvEvents*>(handle->data);
  if (p->context == nullptr) return;
  if (status < 0) {
    // POLLERR: let hiredis find the error itself (a failed connect is
    // reported through SO_ERROR on the write path, a reset on the read path).
    if (!(p->context->c.flags & REDIS_CONNECTED)) {
      redisAsyncHandleWrite(p->context);
    } else {
      redisAsyncHandleRead(p->context);
    }
    return;
  }
  if (events & UV_READABLE) redisAsyncHandleRead(p->context);
  // The read handler may have freed the context (and cleared p->context).
  if (p->context != nullptr && (events & UV_WRITABLE)) redisAsyncHandleWrite(p->context);
}

void Update(UvEvents* p) {
  if (p->events != 0) {
    if (uv_poll_start(&p->handle, p->events, OnPoll) != 0) {
      spdlog::warn("redis: uv_poll_start failed");
    }
  } else {
    uv_poll_stop(&p->handle);
  }
}

void AddRead(void* d) {
  UvEvents* p = static_cast<UvEvents*>(d);
  p->events |= UV_READABLE;
  Update(p);
}
void DelRead(void* d) {
  UvEvents* p = static_cast<UvEvents*>(d);
  p->events &= ~UV_READABLE;
  Update(p);
}
void AddWrite(void* d) {
  UvEvents* p = static_cast<UvEvents*>(d);
  p->events |= UV_WRITABLE;
  Update(p);
}
void DelWrite(void* d) {
  UvEvents* p = static_cast<UvEvents*>(d);
  p->events &= ~UV_WRITABLE;
  Update(p);
}
void OnPollClosed(uv_handle_t* h) {
  std::unique_ptr<UvEvents> owned(static_cast<UvEvents*>(h->data));
}
void Cleanup(void* d) {
  UvEvents* p = static_cast<UvEvents*>(d);
  p->context = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&p->handle), OnPollClosed);
}

}  // namespace

AsyncRedis::AsyncRedis(uv_loop_t* loop, const config::RedisEndpoint& endpoint, Listener* listener,
                       std::string name)
    : loop_(loop), endpoint_(endpoint), listener_(listener), name_(std::move(name)) {}

AsyncRedis::~AsyncRedis() {
  // Owners Stop() and run the loop to completion first; this is a backstop.
  if (ctx_ != nullptr) {
    redisAsyncContext* c = ctx_;
    ctx_ = nullptr;
    c->data = nullptr;
    redisAsyncFree(c);
  }
}

bool AsyncRedis::Attach() {
  auto events = std::make_unique<UvEvents>();
  if (uv_poll_init(loop_, &events->handle, ctx_->c.fd) != 0) return false;
  events->context = ctx_;
  events->handle.data = events.get();
  ctx_->ev.addRead = AddRead;
  ctx_->ev.delRead = DelRead;
  ctx_->ev.addWrite = AddWrite;
  ctx_->ev.delWrite = DelWrite;
  ctx_->ev.cleanup = Cleanup;
  ctx_->ev.data = events.release();  // freed by Cleanup's close callback
  return true;
}

void AsyncRedis::Start() {
  if (!timer_open_) {
    if (uv_timer_init(loop_, &retry_timer_) != 0) {
      spdlog::error("redis {}: uv_timer_init failed", name_);
      return;
    }
    retry_timer_.data = this;
    timer_open_ = true;
  }
  stopping_ = false;
  Connect();
}

void AsyncRedis::Connect() {
  if (stopping_ || ctx_ != nullptr) return;
  redisAsyncContext* c = endpoint_.unix_socket.empty()
                             ? redisAsyncConnect(endpoint_.host.c_str(), endpoint_.port)
                             : redisAsyncConnectUnix(endpoint_.unix_socket.c_str());
  if (c == nullptr) {
    ScheduleRetry();
    return;
  }
  if (c->err) {
    spdlog::debug("redis {}: connect: {}", name_, c->errstr);
    redisAsyncFree(c);
    ScheduleRetry();
    return;
  }
  ctx_ = c;
  ctx_->data = this;
  if (!Attach()) {
    ctx_ = nullptr;
    redisAsyncFree(c);
    ScheduleRetry();
    return;
  }
  redisAsyncSetConnectCallback(ctx_, OnConnect);
  redisAsyncSetDisconnectCallback(ctx_, OnDisconnect);
}

void AsyncRedis::ScheduleRetry() {
  if (stopping_ || !timer_open_) return;
  backoff_ms_ = backoff_ms_ == 0 ? kMinBackoffMs : std::min(backoff_ms_ * 2, kMaxBackoffMs);
  if (uv_timer_start(&retry_timer_, OnRetryTimer, backoff_ms_, 0) != 0) {
    spdlog::error("redis {}: uv_timer_start failed", name_);
  }
}

void AsyncRedis::OnRetryTimer(uv_timer_t* t) { static_cast<AsyncRedis*>(t->data)->Connect(); }

void AsyncRedis::OnConnect(const redisAsyncContext* c, int status) {
  AsyncRedis* self = static_cast<AsyncRedis*>(c->data);
  if (self == nullptr) return;
  if (status != REDIS_OK) {
    spdlog::debug("redis {}: connect failed: {}", self->name_, c->errstr);
    // hiredis frees the context after this callback returns.
    self->ctx_ = nullptr;
    self->ScheduleRetry();
    return;
  }
  self->setup_pending_ = 0;
  const config::RedisEndpoint& ep = self->endpoint_;
  if (!ep.password.empty()) {
    if (ep.username.empty()) {
      const char* argv[] = {"AUTH", ep.password.c_str()};
      size_t lens[] = {4, ep.password.size()};
      if (redisAsyncCommandArgv(self->ctx_, OnSetupReply, nullptr, 2, argv, lens) == REDIS_OK) {
        ++self->setup_pending_;
      }
    } else {
      const char* argv[] = {"AUTH", ep.username.c_str(), ep.password.c_str()};
      size_t lens[] = {4, ep.username.size(), ep.password.size()};
      if (redisAsyncCommandArgv(self->ctx_, OnSetupReply, nullptr, 3, argv, lens) == REDIS_OK) {
        ++self->setup_pending_;
      }
    }
  }
  if (ep.db != 0) {
    std::string db = std::to_string(ep.db);
    const char* argv[] = {"SELECT", db.c_str()};
    size_t lens[] = {6, db.size()};
    if (redisAsyncCommandArgv(self->ctx_, OnSetupReply, nullptr, 2, argv, lens) == REDIS_OK) {
      ++self->setup_pending_;
    }
  }
  if (self->setup_pending_ == 0) {
    self->ready_ = true;
    self->backoff_ms_ = 0;
    self->listener_->OnRedisReady(*self);
  }
}

void AsyncRedis::OnSetupReply(redisAsyncContext* c, void* r, void*) {
  AsyncRedis* self = static_cast<AsyncRedis*>(c->data);
  if (self == nullptr || r == nullptr) return;
  redisReply* reply = static_cast<redisReply*>(r);
  if (reply->type == REDIS_REPLY_ERROR) {
    spdlog::warn("redis {}: setup refused: {}", self->name_, reply->str);
    redisAsyncDisconnect(c);
    return;
  }
  if (--self->setup_pending_ == 0) {
    self->ready_ = true;
    self->backoff_ms_ = 0;
    self->listener_->OnRedisReady(*self);
  }
}

void AsyncRedis::OnDisconnect(const redisAsyncContext* c, int status) {
  AsyncRedis* self = static_cast<AsyncRedis*>(c->data);
  if (self == nullptr) return;
  (void)status;
  bool was_ready = self->ready_;
  self->ready_ = false;
  self->ctx_ = nullptr;  // hiredis frees it after this callback
  if (was_ready) {
    spdlog::warn("redis {}: connection lost", self->name_);
    self->listener_->OnRedisLost(*self);
  }
  self->ScheduleRetry();
}

void AsyncRedis::Stop() {
  stopping_ = true;
  ready_ = false;
  if (timer_open_) {
    uv_timer_stop(&retry_timer_);
    uv_close(reinterpret_cast<uv_handle_t*>(&retry_timer_), nullptr);
    timer_open_ = false;
  }
  if (ctx_ != nullptr) {
    redisAsyncContext* c = ctx_;
    ctx_ = nullptr;
    c->data = nullptr;  // callbacks from the teardown see no owner
    redisAsyncFree(c);
  }
}

bool AsyncRedis::Command(redisCallbackFn* cb, void* privdata, int argc, const char** argv,
                         const size_t* lens) {
  if (!ready_ || ctx_ == nullptr) return false;
  return redisAsyncCommandArgv(ctx_, cb, privdata, argc, argv, lens) == REDIS_OK;
}

}  // namespace keyward::responder
