#pragma once
// HttpRequestParser: llhttp over one connection's bytes, with the caps the
// responder enforces (URL, header and body size) and fixed per-connection
// buffers. It knows nothing of sockets, so the fuzz target drives it directly.
// Complete requests are handed to a RequestSink in order; the sink may pause
// parsing (an answer that goes asynchronous, or a full output buffer) and the
// owner resumes from the returned offset later.
#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "shared/der/bytes.h"

namespace keyward::responder {

struct HttpLimits {
  size_t max_url_bytes = 16 * 1024;
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 16 * 1024;
};

struct HttpRequest {
  uint8_t method = 0;  // llhttp_method_t
  uint8_t http_major = 1;
  uint8_t http_minor = 1;
  bool keep_alive = true;
  bool content_type_present = false;
  bool content_type_ocsp = false;  // "application/ocsp-request"
  std::string_view target;         // request target as sent (path and query)
  der::Bytes body;
};

enum class SinkAction { kContinue, kPause };

class RequestSink {
 public:
  virtual ~RequestSink() = default;
  // OnMessageBegin: the first byte of a request arrived (header timer starts).
  virtual void OnMessageBegin() = 0;
  // OnRequest: one complete request; its spans live until the next Feed.
  virtual SinkAction OnRequest(const HttpRequest& req) = 0;
};

class HttpRequestParser {
 public:
  enum class Status {
    kConsumed,  // every byte was parsed
    kPaused,    // the sink paused; *consumed bytes were used
    kError,     // stop: answer error_status() and close
  };

  HttpRequestParser(const HttpLimits& limits, RequestSink* sink);
  HttpRequestParser(const HttpRequestParser&) = delete;
  HttpRequestParser& operator=(const HttpRequestParser&) = delete;

  // Feed parses `len` bytes. After kPaused, call Resume() and Feed the rest.
  Status Feed(const char* data, size_t len, size_t* consumed);
  void Resume();
  // The HTTP status to answer after kError: 400, 413, 414 or 431.
  int error_status() const { return error_status_; }
  // Whether a request has started and not completed.
  bool in_message() const { return in_message_; }

 private:
  static int OnMessageBeginCb(llhttp_t* p);
  static int OnUrlCb(llhttp_t* p, const char* at, size_t len);
  static int OnHeaderFieldCb(llhttp_t* p, const char* at, size_t len);
  static int OnHeaderValueCb(llhttp_t* p, const char* at, size_t len);
  static int OnHeaderValueCompleteCb(llhttp_t* p);
  static int OnHeadersCompleteCb(llhttp_t* p);
  static int OnBodyCb(llhttp_t* p, const char* at, size_t len);
  static int OnMessageCompleteCb(llhttp_t* p);
  int Fail(int status);
  bool CountHeader(size_t len);

  HttpLimits limits_;
  RequestSink* sink_;
  llhttp_settings_t settings_;
  llhttp_t parser_;
  std::vector<char> url_;
  std::vector<uint8_t> body_;
  size_t header_bytes_ = 0;
  int error_status_ = 400;
  bool refused_ = false;
  bool in_message_ = false;
  // Header-name matching for Content-Type, fed in pieces.
  static constexpr size_t kFieldCap = 16;
  char field_[kFieldCap] = {};
  size_t field_len_ = 0;
  bool field_overflow_ = false;
  bool field_done_ = false;  // the previous callback was a value
  static constexpr size_t kValueCap = 64;
  char value_[kValueCap] = {};
  size_t value_len_ = 0;
  bool content_type_present_ = false;
  bool content_type_ocsp_ = false;
};

}  // namespace keyward::responder
