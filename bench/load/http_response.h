#pragma once
// HttpResponseReader: an incremental reader for the small HTTP/1.x responses
// an OCSP or SCEP server sends. It copes with responses split across reads,
// Content-Length, chunked or close-delimited bodies, and tells the caller whether the
// server will keep the connection open. Buffers keep their capacity across
// responses, so a warmed-up connection does not allocate.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace keyward::bench {

class HttpResponseReader {
 public:
  enum class State { kHeaders, kBody, kDone, kError };

  static constexpr size_t kMaxHeaderBytes = 16 * 1024;
  static constexpr size_t kMaxBodyBytes = 4 * 1024 * 1024;

  // Feed consumes bytes; returns how many were used (the rest belong to the
  // next response, which a client that waits for each answer never sees).
  size_t Feed(const char* data, size_t len);
  // OnEof: the peer closed. A close-delimited body completes; anything else
  // in progress is an error.
  void OnEof();
  void Reset();

  State state() const { return state_; }
  int status() const { return status_; }
  bool keep_alive() const { return keep_alive_; }
  std::string_view body() const { return body_; }
  std::string_view content_type() const { return content_type_; }

 private:
  bool ParseHeaders();
  // TryDechunk decodes raw_ once the last chunk is in: kDone, kError, or no
  // change while more bytes are needed.
  void TryDechunk();

  State state_ = State::kHeaders;
  std::string head_;
  std::string body_;
  std::string content_type_;
  int status_ = 0;
  bool keep_alive_ = false;
  bool has_length_ = false;
  bool chunked_ = false;  // Transfer-Encoding: chunked (Go's net/http for bodies it streams)
  std::string raw_;       // chunked body as received
  size_t content_length_ = 0;
};

}  // namespace keyward::bench
