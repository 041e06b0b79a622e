// Fuzzes the responder's HTTP request layer (llhttp plus our caps and header
// handling) without sockets: arbitrary bytes, fed in arbitrary splits, with
// the sink pausing on some requests as an asynchronous answer would.
#include <cstddef>
#include <cstdint>

#include "responder/http_parser.h"

namespace {

class Sink : public keyward::responder::RequestSink {
 public:
  void OnMessageBegin() override {}
  keyward::responder::SinkAction OnRequest(const keyward::responder::HttpRequest& r) override {
    // Touch every byte handed out so ASan checks the spans.
    for (char c : r.target) sum_ += static_cast<uint8_t>(c);
    for (uint8_t b : r.body) sum_ += b;
    return (sum_ & 1) ? keyward::responder::SinkAction::kPause
                      : keyward::responder::SinkAction::kContinue;
  }
  uint64_t sum_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using keyward::responder::HttpRequestParser;
  if (size < 2) return 0;
  keyward::responder::HttpLimits limits;
  limits.max_url_bytes = 512;
  limits.max_header_bytes = 1024;
  limits.max_body_bytes = 1024;
  Sink sink;
  HttpRequestParser parser(limits, &sink);
  // The first byte chooses the read size, like a TCP stream split anywhere.
  size_t chunk = 1 + data[0] % 64;
  const char* p = reinterpret_cast<const char*>(data + 1);
  size_t left = size - 1;
  while (left > 0) {
    size_t n = left < chunk ? left : chunk;
    size_t off = 0;
    while (off < n) {
      size_t consumed = 0;
      HttpRequestParser::Status st = parser.Feed(p + off, n - off, &consumed);
      if (st == HttpRequestParser::Status::kError) return 0;
      if (consumed > n - off) __builtin_trap();
      off += consumed;
      if (st == HttpRequestParser::Status::kConsumed) break;
      if (consumed == 0 && st == HttpRequestParser::Status::kPaused) {
        // A pause right at the start of this chunk still has to progress
        // after Resume; a connection that ended (keep-alive off) stops here.
        parser.Resume();
        size_t again = 0;
        st = parser.Feed(p + off, n - off, &again);
        if (st == HttpRequestParser::Status::kError || again == 0) return 0;
        off += again;
        if (st == HttpRequestParser::Status::kConsumed) break;
      }
      parser.Resume();
    }
    p += n;
    left -= n;
  }
  return 0;
}
