#pragma once
// Connection: one client TCP connection on a worker loop. Reads go into a
// fixed per-connection buffer; complete requests are parsed in order and
// handed to the RequestHandler; answers are appended to an output buffer and
// written in request order. When an answer goes asynchronous (Redis, live
// signing) or the output backs up, parsing pauses at that request and the
// connection stops reading until it can go on, so a slow client costs only
// its own buffers and never blocks the loop.
#include <uv.h>

#include <array>
#include <cstdint>
#include <vector>

#include "responder/cache_entry.h"
#include "responder/http_parser.h"

namespace keyward::responder {

class Connection;
class Worker;

enum class Handled { kDone, kAsync };

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Handle answers `req` by appending to conn.out() (kDone), or promises to
  // do so later and then call conn.AnswerReady() (kAsync).
  virtual Handled Handle(Connection& conn, const HttpRequest& req) = 0;
};

struct ConnectionLimits {
  HttpLimits http;
  uint64_t header_timeout_ms = 10'000;
  uint64_t idle_timeout_ms = 30'000;
};

// What the handler remembers about the request it answers asynchronously.
struct PendingAnswer {
  uint8_t http_minor = 1;
  bool keep_alive = true;
  bool is_get = false;
  uint64_t started_us = 0;
  // Miss path: the key being fetched, the cache epoch read before the fetch
  // was sent (the stale-insert guard), and how often it was retried.
  CacheKey key;
  uint64_t epoch = 0;
  int attempts = 0;
  // The request DER, kept while a miss is fetched in case it must be signed
  // live after all (capacity reused from request to request).
  std::vector<uint8_t> request;
};

class Connection : public RequestSink {
 public:
  static constexpr size_t kReadBufferBytes = 16 * 1024;
  // Past this much queued output while a write is in flight, parsing pauses.
  static constexpr size_t kOutputHighWater = 64 * 1024;

  Connection(Worker& worker, uint64_t id, const ConnectionLimits& limits, RequestHandler* handler);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Accept takes the next connection from `server` and starts reading.
  // False (and the caller should Close) on failure.
  bool Accept(uv_stream_t* server);
  // Close stops everything; the Worker frees the object once libuv is done.
  void Close();

  uint64_t id() const { return id_; }
  Worker& worker() { return worker_; }
  std::vector<uint8_t>& out() { return fill_; }
  PendingAnswer& pending() { return pending_; }
  const PendingAnswer& pending() const { return pending_; }
  bool awaiting_answer() const { return awaiting_answer_; }
  // AnswerReady: the asynchronous answer has been appended to out().
  void AnswerReady();

  // RequestSink.
  void OnMessageBegin() override;
  SinkAction OnRequest(const HttpRequest& req) override;

  // For the handler: the connection will close after this answer.
  void CloseAfterWrite() { close_after_write_ = true; }

 private:
  static void OnAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void OnWrite(uv_write_t* req, int status);
  static void OnTimer(uv_timer_t* t);
  static void OnClosed(uv_handle_t* h);
  static void OnShutdown(uv_shutdown_t* req, int status);

  void ParseBuffered();
  void Flush();
  void StartReading();
  void StopReading();
  void Arm(uint64_t ms);
  void FinishOrLinger();
  void MaybeIdle();

  Worker& worker_;
  uint64_t id_;
  ConnectionLimits limits_;
  RequestHandler* handler_;
  HttpRequestParser parser_;
  uv_tcp_t tcp_;
  uv_timer_t timer_;
  uv_write_t write_req_;
  uv_shutdown_t shutdown_req_;
  std::array<char, kReadBufferBytes> read_buf_;
  size_t read_len_ = 0;
  size_t read_off_ = 0;
  std::vector<uint8_t> fill_;    // answers being appended
  std::vector<uint8_t> flight_;  // the buffer libuv is writing
  PendingAnswer pending_;
  int open_handles_ = 0;
  bool tcp_open_ = false;
  bool timer_open_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool awaiting_answer_ = false;
  bool awaiting_write_ = false;
  bool close_after_write_ = false;
  bool peer_eof_ = false;
  bool lingering_ = false;
  bool closing_ = false;
};

}  // namespace keyward::responder
