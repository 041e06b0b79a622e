// keyward-issuer: the SCEP (RFC 8894) enrollment daemon. Flags, config and
// wiring only; the protocol is in issuer/scep_service.h and the decisions in
// issuer/enroller.h.
#include <curl/curl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <uv.h>

#include <CLI/CLI.hpp>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "issuer/backend_pool.h"
#include "issuer/scep_service.h"
#include "shared/config/config.h"
#include "shared/http/server.h"
#include "shared/pki/ca_material.h"
#include "shared/scep/caps.h"

namespace {

struct Signals {
  keyward::http::Server* server = nullptr;
  uv_signal_t sigint{};
  uv_signal_t sigterm{};
};

void OnSignal(uv_signal_t* handle, int signum) {
  auto* s = static_cast<Signals*>(handle->data);
  spdlog::info("signal {}: stopping", signum);
  s->server->Shutdown();
  uv_close(reinterpret_cast<uv_handle_t*>(&s->sigint), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&s->sigterm), nullptr);
}

int Run(const std::string& config_path) {
  using namespace keyward;
  config::Config cfg = config::Load(config_path);  // throws ConfigError
  spdlog::set_level(spdlog::level::from_str(cfg.log_level));
  if (cfg.issuer.ca.empty()) {
    for (const config::CaConfig& ca : cfg.cas) {
      if (ca.issues()) {
        cfg.issuer.ca = ca.name;
        break;
      }
    }
  }
  const config::CaConfig* ca_cfg = cfg.FindCa(cfg.issuer.ca);
  if (ca_cfg == nullptr) {
    spdlog::critical("[issuer] ca: no [[ca]] with a key to issue from");
    return 1;
  }
  Result<pki::CaMaterial> ca = pki::LoadCa(*ca_cfg, pki::KeyUse::kIssuing);
  if (!ca) {
    spdlog::critical("{}", ca.error());
    return 1;
  }
  std::vector<pki::CaMaterial> cas;
  cas.push_back(std::move(*ca));
  if (!scep::LoadLegacyProvider()) {
    spdlog::warn("OpenSSL legacy provider missing: single-DES requests cannot be decrypted");
  }
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    spdlog::critical("curl_global_init failed");
    return 1;
  }
  if (cfg.issuer.challenge_mode == "static" && cfg.issuer.challenge.empty()) {
    spdlog::warn("[issuer] challenge is empty: every PKCSReq will be refused");
  }

  issuer::BackendPool backends(cfg.store);
  {
    Result<issuer::BackendPool::Lease> probe = backends.Acquire();
    if (!probe) spdlog::warn("{} (enrollments are refused until it answers)", probe.error());
  }
  Result<std::unique_ptr<issuer::ScepService>> service = issuer::ScepService::Create(
      cfg, cas, backends, [] { return static_cast<int64_t>(std::time(nullptr)); });
  if (!service) {
    spdlog::critical("{}", service.error());
    return 1;
  }

  http::ServerOptions opts;
  opts.max_url_bytes = cfg.issuer.max_url_bytes;
  opts.max_body_bytes = cfg.issuer.max_body_bytes;
  opts.header_timeout_ms = cfg.issuer.header_timeout_ms;
  opts.idle_timeout_ms = cfg.issuer.idle_timeout_ms;
  opts.max_connections = cfg.issuer.max_connections;
  opts.worker_threads = cfg.issuer.workers > 0
                            ? cfg.issuer.workers
                            : static_cast<int>(std::max(2u, std::thread::hardware_concurrency()));
  opts.max_queued = static_cast<size_t>(cfg.issuer.queue > 0 ? cfg.issuer.queue : 1);

  uv_loop_t* loop = uv_default_loop();
  issuer::ScepService* svc = service->get();
  http::Server server(loop, opts, [svc](const http::Request& r) { return svc->Handle(r); });
  for (const std::string& l : cfg.issuer.listen) {
    config::ListenAddress addr = config::ParseListen(l);
    Result<int> port = server.Listen(addr.host, addr.port);
    if (!port) {
      spdlog::critical("{}", port.error());
      server.Shutdown();
      uv_run(loop, UV_RUN_DEFAULT);
      return 1;
    }
    spdlog::info("SCEP for CA '{}' at http://{}:{}/scep ({} challenge)", cfg.issuer.ca, addr.host,
                 *port, cfg.issuer.challenge_mode);
  }
  Signals signals;
  signals.server = &server;
  signals.sigint.data = &signals;
  signals.sigterm.data = &signals;
  if (uv_signal_init(loop, &signals.sigint) != 0 || uv_signal_init(loop, &signals.sigterm) != 0 ||
      uv_signal_start(&signals.sigint, &OnSignal, SIGINT) != 0 ||
      uv_signal_start(&signals.sigterm, &OnSignal, SIGTERM) != 0) {
    spdlog::critical("cannot install signal handlers");
    return 1;
  }
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
  curl_global_cleanup();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "keyward-issuer: the Keyward SCEP (RFC 8894) enrollment service.\n"
      "Serves GetCACaps, GetCACert, GetNextCACert and PKIOperation (PKCSReq, RenewalReq,\n"
      "CertPoll, GetCert, GetCRL) at /scep, /scep/pkiclient.exe and /cgi-bin/pkiclient.exe.\n"
      "Each certificate it issues is recorded in Redis with its signed OCSP responses before\n"
      "it is handed out, so every keyward-responder answers 'good' for it at once.\n"
      "Challenge modes: static, otp (keyward challenge create), webhook, manual\n"
      "(keyward pending approve). See docs/scep.md."};
  std::string config_path;
  app.add_option("--config", config_path, "Keyward TOML configuration file")->required();
  CLI11_PARSE(app, argc, argv);
  signal(SIGPIPE, SIG_IGN);
  try {
    return Run(config_path);
  } catch (const keyward::config::ConfigError& e) {
    spdlog::critical("{}", e.what());
    return 1;
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
}
