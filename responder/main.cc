// keyward-responder: the OCSP responder daemon. Flags and config only; the
// work is in responder/responder.h.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "responder/responder.h"
#include "shared/config/config.h"
#include "shared/pki/ca_material.h"

int main(int argc, char** argv) {
  using namespace keyward;
  CLI::App app{
      "keyward-responder: the Keyward OCSP responder.\n"
      "Serves OCSP (RFC 6960) over HTTP: POST of a DER OCSPRequest at / and any path below it,\n"
      "GET /{url-encoded base64 request} with RFC 5019 cache headers, GET /healthz and\n"
      "GET /metrics (Prometheus). Answers come from precomputed, signed responses that it\n"
      "loads from Redis and keeps current through Redis pub/sub; requests with a nonce,\n"
      "several certificates or an unusual hash are signed live with the delegated OCSP\n"
      "signer. It never needs a CA private key."};
  std::string config_path;
  int workers = 0;
  std::string log_level;
  app.add_option("--config", config_path, "Keyward TOML configuration file")->required();
  app.add_option("--workers", workers, "event loops (overrides [responder] workers)")
      ->check(CLI::Range(1, 1024));
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error (overrides config)");
  CLI11_PARSE(app, argc, argv);

  // Block the stop signals first: every thread inherits the mask, only
  // sigwait below sees them, and a stop during start-up is not lost.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  signal(SIGPIPE, SIG_IGN);

  config::Config cfg;
  std::vector<pki::CaMaterial> cas;
  try {
    cfg = config::Load(config_path);
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "keyward-responder: %s\n", e.what());
    return 2;
  }
  std::string level = !log_level.empty() ? log_level : cfg.log_level;
  if (level.empty()) level = "info";
  spdlog::level::level_enum lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off") {
    std::fprintf(stderr, "keyward-responder: unknown log level '%s'\n", level.c_str());
    return 2;
  }
  spdlog::set_level(lvl);
  if (cfg.cas.empty()) {
    std::fprintf(stderr, "keyward-responder: %s: no [[ca]] to answer for\n", cfg.path.c_str());
    return 2;
  }
  for (const config::CaConfig& ca : cfg.cas) {
    // The responder signs with the delegated OCSP signer only.
    Result<pki::CaMaterial> material = pki::LoadCa(ca, pki::KeyUse::kOcspOnly);
    if (!material) {
      std::fprintf(stderr, "keyward-responder: [[ca]] %s: %s\n", ca.name.c_str(),
                   material.error().c_str());
      return 2;
    }
    cas.push_back(std::move(*material));
  }

  responder::ResponderOptions options;
  options.workers = workers;
  responder::Responder r(cfg, std::move(cas), options);
  Result<void> started = r.Start();
  if (!started) {
    std::fprintf(stderr, "keyward-responder: %s\n", started.error().c_str());
    return 2;
  }
  for (size_t i = 0; i < cfg.responder.listen.size(); ++i) {
    spdlog::info("serving OCSP on {} (port {})", cfg.responder.listen[i], r.ports()[i]);
  }
  int sig = 0;
  sigwait(&stop, &sig);
  spdlog::info("signal {}: stopping", sig);
  r.Stop();
  return 0;
}
