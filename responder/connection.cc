#include "responder/connection.h"

#include <spdlog/spdlog.h>

#include "responder/http_response.h"
#include "responder/worker.h"

namespace keyward::responder {
namespace {

// After the last answer of a closing connection, keep draining input for at
// most this long so that unread request bytes do not turn our close into a
// reset that destroys the answer in flight.
constexpr uint64_t kLingerMs = 2000;

}  // namespace

Connection::Connection(Worker& worker, uint64_t id, const ConnectionLimits& limits,
                       RequestHandler* handler)
    : worker_(worker), id_(id), limits_(limits), handler_(handler), parser_(limits.http, this) {
  // Sized once per connection; the hit path then only appends within capacity.
  fill_.reserve(kOutputHighWater / 4);
  flight_.reserve(kOutputHighWater / 4);
}

bool Connection::Accept(uv_stream_t* server) {
  if (uv_tcp_init(worker_.loop(), &tcp_) != 0) return false;
  tcp_.data = this;
  tcp_open_ = true;
  ++open_handles_;
  if (uv_timer_init(worker_.loop(), &timer_) != 0) return false;
  timer_.data = this;
  timer_open_ = true;
  ++open_handles_;
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&tcp_)) != 0) return false;
  // Answers are small and latency-bound: never wait for Nagle.
  if (uv_tcp_nodelay(&tcp_, 1) != 0) return false;
  // A client that connects and sends nothing is closed after header_timeout.
  Arm(limits_.header_timeout_ms);
  StartReading();
  return reading_;
}

void Connection::Close() {
  if (closing_) return;
  closing_ = true;
  StopReading();
  if (open_handles_ == 0) {
    worker_.ConnectionClosed(id_);
    return;
  }
  if (timer_open_) uv_close(reinterpret_cast<uv_handle_t*>(&timer_), OnClosed);
  if (tcp_open_) uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), OnClosed);
}

void Connection::OnClosed(uv_handle_t* h) {
  Connection* self = static_cast<Connection*>(h->data);
  if (--self->open_handles_ == 0) self->worker_.ConnectionClosed(self->id_);
}

void Connection::StartReading() {
  if (reading_ || closing_) return;
  if (uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), OnAlloc, OnRead) == 0) reading_ = true;
}

void Connection::StopReading() {
  if (!reading_) return;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
  reading_ = false;
}

void Connection::Arm(uint64_t ms) {
  if (closing_ || !timer_open_) return;
  if (uv_timer_start(&timer_, OnTimer, ms, 0) != 0) Close();
}

void Connection::OnTimer(uv_timer_t* t) {
  // Header, idle, answer and linger timeouts all end the same way.
  static_cast<Connection*>(t->data)->Close();
}

void Connection::OnAlloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  Connection* self = static_cast<Connection*>(h->data);
  // Reading only happens when every earlier byte has been parsed, so the
  // whole fixed buffer is free.
  buf->base = self->read_buf_.data();
  buf->len = self->read_buf_.size();
}

void Connection::OnRead(uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
  Connection* self = static_cast<Connection*>(s->data);
  if (nread == 0) return;  // EAGAIN
  if (self->lingering_) {
    if (nread < 0) self->Close();
    return;  // discard
  }
  if (nread < 0) {
    // EOF or error. A client may half-close after its request: answer what
    // is pending, then close.
    self->peer_eof_ = true;
    self->StopReading();
    if (nread != UV_EOF || (!self->awaiting_answer_ && !self->writing_ && self->fill_.empty())) {
      self->Close();
    } else {
      self->close_after_write_ = true;
    }
    return;
  }
  self->read_len_ = static_cast<size_t>(nread);
  self->read_off_ = 0;
  self->ParseBuffered();
}

void Connection::ParseBuffered() {
  while (read_off_ < read_len_ && !closing_) {
    size_t consumed = 0;
    HttpRequestParser::Status st =
        parser_.Feed(read_buf_.data() + read_off_, read_len_ - read_off_, &consumed);
    read_off_ += consumed;
    if (st == HttpRequestParser::Status::kConsumed) break;
    if (st == HttpRequestParser::Status::kError) {
      worker_.metrics().http_errors.fetch_add(1, std::memory_order_relaxed);
      ReplyHead head{1, true, false, worker_.date()};
      AppendText(fill_, head, parser_.error_status(), "text/plain",
                 StatusReason(parser_.error_status()));
      close_after_write_ = true;
      read_off_ = read_len_;
      break;
    }
    // Paused: waiting for an answer, for the output to drain, or the request
    // ended the connection.
    if (close_after_write_ || awaiting_answer_ || awaiting_write_) break;
    parser_.Resume();
  }
  if (read_off_ >= read_len_) {
    read_off_ = read_len_ = 0;
  }
  bool blocked = awaiting_answer_ || awaiting_write_ || close_after_write_;
  if (blocked || read_len_ != 0) {
    StopReading();
  } else if (!peer_eof_) {
    StartReading();
  }
  Flush();
  MaybeIdle();
}

void Connection::OnMessageBegin() { Arm(limits_.header_timeout_ms); }

SinkAction Connection::OnRequest(const HttpRequest& req) {
  uv_timer_stop(&timer_);
  if (!req.keep_alive) close_after_write_ = true;
  if (handler_->Handle(*this, req) == Handled::kAsync) {
    awaiting_answer_ = true;
    // The answer path has its own deadlines; this is the backstop.
    Arm(limits_.header_timeout_ms);
    return SinkAction::kPause;
  }
  if (close_after_write_) return SinkAction::kPause;
  if (writing_ && fill_.size() >= kOutputHighWater) {
    awaiting_write_ = true;
    return SinkAction::kPause;
  }
  return SinkAction::kContinue;
}

void Connection::AnswerReady() {
  if (closing_) return;
  awaiting_answer_ = false;
  uv_timer_stop(&timer_);
  if (close_after_write_) {
    Flush();
    return;
  }
  parser_.Resume();
  ParseBuffered();
}

void Connection::Flush() {
  if (closing_ || writing_) return;
  if (fill_.empty()) {
    if (close_after_write_ && !awaiting_answer_) FinishOrLinger();
    return;
  }
  fill_.swap(flight_);
  fill_.clear();
  uv_buf_t buf =
      uv_buf_init(reinterpret_cast<char*>(flight_.data()), static_cast<unsigned>(flight_.size()));
  if (uv_write(&write_req_, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1, OnWrite) != 0) {
    Close();
    return;
  }
  writing_ = true;
  // A client that does not read its answers is dropped after idle_timeout.
  if (!awaiting_answer_) Arm(limits_.idle_timeout_ms);
}

void Connection::OnWrite(uv_write_t* req, int status) {
  Connection* self = static_cast<Connection*>(req->handle->data);
  self->writing_ = false;
  self->flight_.clear();
  if (self->closing_) return;
  if (status < 0) {
    self->Close();
    return;
  }
  if (self->awaiting_write_) {
    self->awaiting_write_ = false;
    self->parser_.Resume();
    self->ParseBuffered();
    return;
  }
  self->Flush();
  self->MaybeIdle();
}

void Connection::MaybeIdle() {
  if (closing_ || lingering_ || writing_ || awaiting_answer_ || awaiting_write_) return;
  if (close_after_write_) {
    if (fill_.empty()) FinishOrLinger();
    return;
  }
  if (!parser_.in_message()) Arm(limits_.idle_timeout_ms);
}

void Connection::FinishOrLinger() {
  if (closing_ || lingering_) return;
  if (peer_eof_) {
    Close();
    return;
  }
  // Send FIN after the answer, then drain whatever the client still sends
  // until it closes or the linger timer fires.
  lingering_ = true;
  shutdown_req_.data = this;
  if (uv_shutdown(&shutdown_req_, reinterpret_cast<uv_stream_t*>(&tcp_), OnShutdown) != 0) {
    Close();
    return;
  }
  Arm(kLingerMs);
  read_off_ = read_len_ = 0;
  StartReading();
}

void Connection::OnShutdown(uv_shutdown_t* req, int status) {
  Connection* self = static_cast<Connection*>(req->data);
  if (status < 0 && !self->closing_) self->Close();
}

}  // namespace keyward::responder
