// http::Server over real sockets on loopback: caps, keep-alive, pipelining,
// the worker pool's 503, and that the handler runs off the loop thread.
#include "shared/http/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "shared/http/url.h"

namespace keyward::http {
namespace {

class ServerTest : public ::testing::Test {
 protected:
  void StartServer(ServerOptions opts, Server::Handler handler) {
    signal(SIGPIPE, SIG_IGN);  // as every main does: see server.h
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    server_ = std::make_unique<Server>(&loop_, opts, std::move(handler));
    Result<int> port = server_->Listen("127.0.0.1", 0);
    ASSERT_TRUE(port) << port.error();
    port_ = *port;
    loop_thread_ = std::thread([this] {
      loop_thread_id_ = std::this_thread::get_id();
      uv_run(&loop_, UV_RUN_DEFAULT);
    });
  }
  void TearDown() override {
    if (!server_) return;
    server_->Shutdown();
    loop_thread_.join();
    server_.reset();
    uv_loop_close(&loop_);
  }

  // Exchange sends `request` on a fresh connection and reads until the
  // server closes it (or `until` appears when non-empty).
  std::string Exchange(const std::string& request, const std::string& until = "",
                       int timeout_s = 10) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(fd);
      return "(connect failed)";
    }
    timeval tv{timeout_s, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    size_t off = 0;
    while (off < request.size()) {
      ssize_t n = send(fd, request.data() + off, request.size() - off, MSG_NOSIGNAL);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    std::string out;
    char buf[4096];
    for (;;) {
      ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
      if (!until.empty() && out.find(until) != std::string::npos) break;
    }
    close(fd);
    return out;
  }

  uv_loop_t loop_{};
  std::unique_ptr<Server> server_;
  std::thread loop_thread_;
  std::thread::id loop_thread_id_;
  int port_ = 0;
};

Response Echo(const Request& r) {
  return Response::Text(
      200, r.method + " " + r.path + " " + r.query + " " + std::to_string(r.body.size()));
}

TEST_F(ServerTest, AnswersAndClosesForHttp10) {
  StartServer({}, Echo);
  std::string out = Exchange("GET /scep?operation=GetCACaps HTTP/1.0\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << out;
  EXPECT_NE(out.find("Connection: close"), std::string::npos);
  EXPECT_NE(out.find("GET /scep operation=GetCACaps 0"), std::string::npos);
}

TEST_F(ServerTest, HandlerRunsOffTheLoopThread) {
  std::atomic<bool> off_loop{false};
  StartServer({}, [&](const Request& r) {
    off_loop = std::this_thread::get_id() != loop_thread_id_;
    return Echo(r);
  });
  Exchange("GET / HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(off_loop.load());
}

TEST_F(ServerTest, PipelinedRequestsAnsweredInOrder) {
  StartServer({}, Echo);
  std::string out = Exchange(
      "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
      "GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  size_t a = out.find("GET /a");
  size_t b = out.find("POST /b  3");
  size_t c = out.find("GET /c");
  ASSERT_NE(a, std::string::npos) << out;
  ASSERT_NE(b, std::string::npos) << out;
  ASSERT_NE(c, std::string::npos) << out;
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
}

TEST_F(ServerTest, UrlOverCapIs414AndLongUrlUnderCapIsServed) {
  ServerOptions opts;
  opts.max_url_bytes = 64 * 1024;
  StartServer(opts, Echo);
  std::string long_q(20 * 1024, 'A');
  std::string ok = Exchange("GET /scep?m=" + long_q + " HTTP/1.0\r\n\r\n");
  EXPECT_EQ(ok.rfind("HTTP/1.0 200", 0), 0u) << ok.substr(0, 80);
  std::string too_long(70 * 1024, 'B');
  std::string no = Exchange("GET /scep?m=" + too_long + " HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(no.rfind("HTTP/1.1 414", 0), 0u) << no.substr(0, 80);
}

TEST_F(ServerTest, BodyOverCapIs413) {
  ServerOptions opts;
  opts.max_body_bytes = 1000;
  StartServer(opts, Echo);
  std::string out = Exchange("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 413", 0), 0u) << out;
  std::string chunked = Exchange(
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "7d0\r\n" +
      std::string(2000, 'x') + "\r\n0\r\n\r\n");
  EXPECT_EQ(chunked.rfind("HTTP/1.1 413", 0), 0u) << chunked.substr(0, 80);
}

TEST_F(ServerTest, HeadersOverCapAre431AndGarbageIs400) {
  ServerOptions opts;
  opts.max_header_bytes = 512;
  StartServer(opts, Echo);
  std::string out =
      Exchange("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(1000, 'h') + "\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 431", 0), 0u) << out;
  EXPECT_EQ(Exchange("\x01\x02 garbage\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
}

TEST_F(ServerTest, ExpectContinueGetsInterimAnswer) {
  StartServer({}, Echo);
  std::string out = Exchange(
      "POST /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n"
      "Connection: close\r\n\r\nhi");
  EXPECT_EQ(out.rfind("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200", 0), 0u) << out;
}

TEST_F(ServerTest, FullQueueAnswers503) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> entered{0};
  ServerOptions opts;
  opts.worker_threads = 1;
  opts.max_queued = 1;
  StartServer(opts, [&](const Request& r) {
    ++entered;
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return release; });
    return Echo(r);
  });
  // One request occupies the worker, a second fills the queue, the third is refused.
  std::thread first([&] { Exchange("GET /1 HTTP/1.0\r\n\r\n"); });
  while (entered.load() == 0) std::this_thread::yield();
  std::thread second([&] { Exchange("GET /2 HTTP/1.0\r\n\r\n"); });
  // Until the second one is queued, an attempt may take the queue slot itself
  // and wait; it is given up after a second and the next attempt is refused.
  std::string third;
  for (int i = 0; i < 100 && third.find(" 503 ") == std::string::npos; ++i) {
    third = Exchange("GET /3 HTTP/1.0\r\n\r\n", "", 1);
  }
  EXPECT_NE(third.find("HTTP/1.0 503"), std::string::npos) << third;
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  first.join();
  second.join();
}

TEST_F(ServerTest, ConnectionsOverTheCapAreClosed) {
  ServerOptions opts;
  opts.max_connections = 1;
  StartServer(opts, Echo);
  // The first connection stays open and idle; the second is over the cap.
  int held = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  ASSERT_EQ(connect(held, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  while (server_->connection_count() == 0) std::this_thread::yield();
  EXPECT_EQ(Exchange("GET / HTTP/1.0\r\n\r\n"), "");
  close(held);
  while (server_->connection_count() != 0) std::this_thread::yield();
  EXPECT_EQ(Exchange("GET / HTTP/1.0\r\n\r\n").rfind("HTTP/1.0 200", 0), 0u);
}

TEST(UrlTest, PercentDecodeKeepsPlusAndRejectsBadEscapes) {
  EXPECT_EQ(PercentDecode("a+b%2Fc%3D%0A").value(), "a+b/c=\n");
  EXPECT_FALSE(PercentDecode("abc%4").has_value());
  EXPECT_FALSE(PercentDecode("abc%G0").has_value());
  EXPECT_EQ(QueryParam("operation=GetCACaps&message=x%3D", "message").value(), "x=");
  EXPECT_EQ(QueryParam("operation", "operation").value(), "");
  EXPECT_FALSE(QueryParam("a=1", "b").has_value());
}

}  // namespace
}  // namespace keyward::http
