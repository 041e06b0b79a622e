#include "responder/http_parser.h"

#include <gtest/gtest.h>
#include <llhttp.h>

#include <string>
#include <vector>

namespace keyward::responder {
namespace {

struct Seen {
  uint8_t method;
  uint8_t minor;
  bool keep_alive;
  bool ocsp_type;
  std::string target;
  std::string body;
};

class Recorder : public RequestSink {
 public:
  void OnMessageBegin() override { ++begins; }
  SinkAction OnRequest(const HttpRequest& r) override {
    seen.push_back({r.method, r.http_minor, r.keep_alive, r.content_type_ocsp,
                    std::string(r.target),
                    std::string(reinterpret_cast<const char*>(r.body.data()), r.body.size())});
    return pause_after_each ? SinkAction::kPause : SinkAction::kContinue;
  }
  std::vector<Seen> seen;
  int begins = 0;
  bool pause_after_each = false;
};

HttpRequestParser::Status FeedAll(HttpRequestParser& p, const std::string& s) {
  size_t consumed = 0;
  return p.Feed(s.data(), s.size(), &consumed);
}

TEST(HttpParserTest, PipelinedRequestsInOrder) {
  Recorder rec;
  HttpRequestParser p(HttpLimits{}, &rec);
  std::string wire =
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\n"
      "Content-Length: 3\r\n\r\nabc"
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /ocsp/sub HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nde";
  EXPECT_EQ(FeedAll(p, wire), HttpRequestParser::Status::kConsumed);
  ASSERT_EQ(rec.seen.size(), 3u);
  EXPECT_EQ(rec.seen[0].body, "abc");
  EXPECT_TRUE(rec.seen[0].ocsp_type);
  EXPECT_EQ(rec.seen[1].method, HTTP_GET);
  EXPECT_EQ(rec.seen[1].target, "/healthz");
  EXPECT_EQ(rec.seen[2].target, "/ocsp/sub");
  EXPECT_FALSE(rec.seen[2].ocsp_type);
}

TEST(HttpParserTest, PauseAndResumeKeepsTheRest) {
  Recorder rec;
  rec.pause_after_each = true;
  HttpRequestParser p(HttpLimits{}, &rec);
  std::string wire = "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
  size_t consumed = 0;
  ASSERT_EQ(p.Feed(wire.data(), wire.size(), &consumed), HttpRequestParser::Status::kPaused);
  ASSERT_EQ(rec.seen.size(), 1u);
  EXPECT_EQ(consumed, wire.find("GET /b"));
  p.Resume();
  size_t more = 0;
  ASSERT_EQ(p.Feed(wire.data() + consumed, wire.size() - consumed, &more),
            HttpRequestParser::Status::kPaused);
  ASSERT_EQ(rec.seen.size(), 2u);
  EXPECT_EQ(rec.seen[1].target, "/b");
  EXPECT_EQ(consumed + more, wire.size());
}

TEST(HttpParserTest, Http10WithoutHostEndsTheConnection) {
  // ISE and ClearPass send HTTP/1.0 with no Host header.
  Recorder rec;
  HttpRequestParser p(HttpLimits{}, &rec);
  std::string wire = "POST / HTTP/1.0\r\nContent-Length: 1\r\n\r\nx";
  EXPECT_EQ(FeedAll(p, wire), HttpRequestParser::Status::kPaused);
  ASSERT_EQ(rec.seen.size(), 1u);
  EXPECT_EQ(rec.seen[0].minor, 0);
  EXPECT_FALSE(rec.seen[0].keep_alive);
  // HTTP/1.0 keep-alive is honoured.
  Recorder rec2;
  HttpRequestParser p2(HttpLimits{}, &rec2);
  EXPECT_EQ(FeedAll(p2, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
            HttpRequestParser::Status::kConsumed);
  ASSERT_EQ(rec2.seen.size(), 1u);
  EXPECT_TRUE(rec2.seen[0].keep_alive);
}

TEST(HttpParserTest, BytesSplitAnywhere) {
  std::string wire =
      "POST /x HTTP/1.1\r\nContent-Type: Application/OCSP-Request\r\nContent-Length: "
      "5\r\n\r\nhello";
  for (size_t cut = 1; cut < wire.size(); ++cut) {
    Recorder rec;
    HttpRequestParser p(HttpLimits{}, &rec);
    EXPECT_EQ(FeedAll(p, wire.substr(0, cut)), HttpRequestParser::Status::kConsumed);
    EXPECT_EQ(FeedAll(p, wire.substr(cut)), HttpRequestParser::Status::kConsumed);
    ASSERT_EQ(rec.seen.size(), 1u) << cut;
    EXPECT_EQ(rec.seen[0].body, "hello");
    EXPECT_TRUE(rec.seen[0].ocsp_type) << cut;
  }
}

struct LimitCase {
  const char* name;
  std::string wire;
  int status;
};

TEST(HttpParserTest, Limits) {
  HttpLimits limits;
  limits.max_url_bytes = 64;
  limits.max_header_bytes = 128;
  limits.max_body_bytes = 32;
  const LimitCase cases[] = {
      {"url_too_long", "GET /" + std::string(100, 'A') + " HTTP/1.1\r\n\r\n", 414},
      {"headers_too_large", "GET / HTTP/1.1\r\nX-Pad: " + std::string(200, 'p') + "\r\n\r\n", 431},
      {"many_headers",
       "GET / HTTP/1.1\r\n" +
           [] {
             std::string h;
             for (int i = 0; i < 40; ++i) h += "X: y\r\n";
             return h;
           }() +
           "\r\n",
       431},
      {"announced_body_too_large", "POST / HTTP/1.1\r\nContent-Length: 33\r\n\r\n", 413},
      {"chunked_body_too_large",
       "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" + std::string(64, 'b') +
           "\r\n0\r\n\r\n",
       413},
      {"garbage", "\x01\x02 nonsense\r\n\r\n", 400},
  };
  for (const LimitCase& c : cases) {
    Recorder rec;
    HttpRequestParser p(limits, &rec);
    EXPECT_EQ(FeedAll(p, c.wire), HttpRequestParser::Status::kError) << c.name;
    EXPECT_EQ(p.error_status(), c.status) << c.name;
    EXPECT_TRUE(rec.seen.empty()) << c.name;
  }
}

}  // namespace
}  // namespace keyward::responder
