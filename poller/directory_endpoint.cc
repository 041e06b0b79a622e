#include "poller/directory_endpoint.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>

#include "shared/directory/http_json_source.h"
#include "shared/directory/metrics.h"

namespace keyward::poller {
namespace {

constexpr auto kApplyWait = std::chrono::seconds(10);

http::Response Json(int status, const std::string& body) {
  http::Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = body;
  return r;
}

// A single device object is accepted as a one-event list.
Result<void> ParseEvents(const std::string& body, std::vector<directory::DeviceUpdate>* out) {
  Result<void> list = directory::ParseDeviceList(body, out, nullptr);
  if (list) return list;
  std::string wrapped = "{\"devices\":[" + body + "]}";
  out->clear();
  if (directory::ParseDeviceList(wrapped, out, nullptr)) return {};
  return list;
}

}  // namespace

DirectoryEndpoint::DirectoryEndpoint(const config::Config& cfg, DirectoryPass& pass)
    : cfg_(cfg), pass_(pass) {
  for (const config::DirectoryConfig& d : cfg_.directories) {
    if (d.kind == "webhook") {
      verifiers_[d.name] =
          std::make_unique<directory::WebhookVerifier>(d.secret, d.replay_window_s);
    }
  }
}

DirectoryEndpoint::~DirectoryEndpoint() { Stop(); }

Result<void> DirectoryEndpoint::Start() {
  bool any = false;
  for (const config::DirectoryConfig& d : cfg_.directories) any = any || !d.listen.empty();
  if (!any) return {};
  if (uv_loop_init(&loop_) != 0) return Fail("uv_loop_init failed");
  loop_ready_ = true;
  http::ServerOptions opts;
  opts.worker_threads = 2;
  opts.max_body_bytes = 8 * 1024 * 1024;  // a webhook may carry a large batch
  for (const config::DirectoryConfig& d : cfg_.directories) {
    if (d.listen.empty()) continue;
    const config::DirectoryConfig* dir = &d;
    auto server = std::make_unique<http::Server>(
        &loop_, opts, [this, dir](const http::Request& r) { return Handle(*dir, r); });
    config::ListenAddress addr = config::ParseListen(d.listen);
    Result<int> port = server->Listen(addr.host, addr.port);
    servers_.push_back(std::move(server));
    if (!port) {
      Stop();
      return Fail("directory " + d.name + ": " + port.error());
    }
    spdlog::info("directory {}: listening on {}:{} ({}/metrics)", d.name, addr.host, *port,
                 d.kind == "webhook" ? "POST events, GET " : "GET ");
  }
  thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
  return {};
}

void DirectoryEndpoint::Stop() {
  for (auto& s : servers_) s->Shutdown();
  if (thread_.joinable()) {
    thread_.join();
  } else if (loop_ready_) {
    uv_run(&loop_, UV_RUN_DEFAULT);  // let the servers close their handles
  }
  servers_.clear();
  if (loop_ready_) {
    uv_loop_close(&loop_);
    loop_ready_ = false;
  }
}

http::Response DirectoryEndpoint::Handle(const config::DirectoryConfig& dir,
                                         const http::Request& req) {
  if (req.method == "GET" && req.path == "/metrics") {
    http::Response r = http::Response::Text(200, directory::RenderMetrics(pass_.metrics()));
    r.content_type = "text/plain; version=0.0.4";
    return r;
  }
  if (req.method == "GET" && req.path == "/healthz") return http::Response::Text(200, "ok\n");
  if (req.method == "POST" && dir.kind == "webhook") return HandleEvents(dir, req);
  return http::Response::Text(404, "not found\n");
}

http::Response DirectoryEndpoint::HandleEvents(const config::DirectoryConfig& dir,
                                               const http::Request& req) {
  directory::DirectoryMetrics* m = pass_.FindMetrics(dir.name);
  const std::string* ts = req.FindHeader(directory::kTimestampHeader);
  const std::string* sig = req.FindHeader(directory::kSignatureHeader);
  directory::WebhookVerdict verdict = verifiers_.at(dir.name)->Verify(
      ts ? *ts : "", sig ? *sig : "", req.body, static_cast<int64_t>(std::time(nullptr)));
  if (verdict != directory::WebhookVerdict::kOk) {
    if (m != nullptr) ++m->webhook_refused;
    spdlog::warn("directory {}: webhook post from {} refused: {} (nothing changed)", dir.name,
                 req.remote, directory::WebhookVerdictName(verdict));
    return Json(401, "{\"error\":\"" + std::string(directory::WebhookVerdictName(verdict)) + "\"}");
  }
  std::vector<directory::DeviceUpdate> events;
  if (Result<void> ok = ParseEvents(req.body, &events); !ok) {
    if (m != nullptr) ++m->webhook_refused;
    spdlog::warn("directory {}: webhook post from {} refused: bad body: {}", dir.name, req.remote,
                 ok.error());
    return Json(400, "{\"error\":\"bad body\"}");
  }
  if (m != nullptr) ++m->webhook_accepted;
  std::future<EventOutcome> done = pass_.Submit(dir.name, std::move(events));
  if (done.wait_for(kApplyWait) != std::future_status::ready) {
    return Json(202, "{\"queued\":true}");
  }
  EventOutcome out = done.get();
  switch (out.kind) {
    case EventOutcome::Kind::kApplied:
      return Json(200, "{\"changes\":" + std::to_string(out.changes) + "}");
    case EventOutcome::Kind::kHeld:
      return Json(409,
                  "{\"error\":\"held by the safety threshold; run keyward directory "
                  "confirm, then send again\"}");
    case EventOutcome::Kind::kFailed:
      break;
  }
  spdlog::error("directory {}: webhook events not applied: {}", dir.name, out.error);
  return Json(503, "{\"error\":\"not applied; send again\"}");
}

}  // namespace keyward::poller
