#pragma once
// StandIn: a local HTTP server for tests of the directory clients, serving
// the documented response shapes of Microsoft Graph, Jamf Pro, the Intune
// SCEP validation API and the http-json contract (the real services cannot
// be reached from test machines). It is an http::Server on its own libuv loop
// thread, on a free loopback port; the test supplies the handler and reads
// the requests it received.
#include <uv.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "shared/http/server.h"

namespace keyward::test {

class StandIn {
 public:
  using Handler = std::function<http::Response(const http::Request&)>;

  explicit StandIn(Handler handler) : handler_(std::move(handler)) {
    uv_loop_init(&loop_);
    http::ServerOptions opts;
    opts.worker_threads = 2;
    opts.max_body_bytes = 1 << 20;
    server_ = std::make_unique<http::Server>(&loop_, opts, [this](const http::Request& r) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(r);
      }
      return handler_(r);
    });
    Result<int> port = server_->Listen("127.0.0.1", 0);
    port_ = port ? *port : 0;
    thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
  }
  ~StandIn() {
    server_->Shutdown();
    thread_.join();
    server_.reset();
    uv_loop_close(&loop_);
  }
  StandIn(const StandIn&) = delete;
  StandIn& operator=(const StandIn&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<http::Request> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

  static http::Response Json(int status, std::string body) {
    http::Response r;
    r.status = status;
    r.content_type = "application/json";
    r.body = std::move(body);
    return r;
  }

 private:
  Handler handler_;
  uv_loop_t loop_{};
  std::unique_ptr<http::Server> server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<http::Request> requests_;
};

}  // namespace keyward::test
