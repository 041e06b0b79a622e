// keyward-poller: flags, config, wiring, and the pass loop.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <ctime>
#include <functional>
#include <iostream>
#include <thread>

#include "poller/directory_endpoint.h"
#include "poller/directory_pass.h"
#include "poller/poller.h"
#include "shared/config/config.h"
#include "shared/pki/ca_material.h"
#include "shared/status/status_publisher.h"
#include "shared/store/store.h"

namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true); }

// SleepUnlessStopped sleeps up to `seconds`, waking early on SIGINT/SIGTERM.
// `tick` runs every 50 ms meanwhile (webhook events, directory intervals).
void SleepUnlessStopped(int seconds, const std::function<void()>& tick = {}) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (!g_stop.load() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (tick) tick();
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace keyward;
  CLI::App app{
      "keyward-poller: keeps Keyward's precomputed OCSP responses true and fresh. Every "
      "interval it follows the store's change log, reads each [[ca]]'s status source (an "
      "OpenSSL index.txt), publishes what changed, and re-signs responses that passed "
      "[ocsp] resign_fraction of their validity; responders hear of each change on Redis "
      "pub/sub."};
  std::string config_path;
  bool once = false;
  app.add_option("--config", config_path, "Keyward TOML config")->required();
  app.add_flag("--once", once, "Run a single pass and exit (for cron or tests)");
  CLI11_PARSE(app, argc, argv);

  config::Config cfg;
  try {
    cfg = config::Load(config_path);
  } catch (const config::ConfigError& e) {
    std::cerr << "keyward-poller: " << e.what() << "\n";
    return 2;
  }
  spdlog::set_level(spdlog::level::from_str(cfg.log_level));
  std::vector<pki::CaMaterial> cas;
  for (const config::CaConfig& ca_cfg : cfg.cas) {
    Result<pki::CaMaterial> ca = pki::LoadCa(ca_cfg, pki::KeyUse::kOcspOnly);
    if (!ca) {
      std::cerr << "keyward-poller: CA " << ca_cfg.name << ": " << ca.error() << "\n";
      return 2;
    }
    cas.push_back(std::move(*ca));
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);

  std::unique_ptr<store::StoreWriter> store;
  while (!g_stop.load()) {
    Result<std::unique_ptr<store::StoreWriter>> connected = store::ConnectRedis(cfg.store);
    if (connected) {
      store = std::move(*connected);
      break;
    }
    spdlog::error("poller: {}; retrying", connected.error());
    if (once) return 1;
    SleepUnlessStopped(1);
  }
  if (!store) return 0;
  status::StatusPublisher publisher(*store, cas, cfg.ocsp);
  poller::Poller poller(cfg, *store, publisher);
  poller::DirectoryPass directories(cfg, poller, publisher);
  if (Result<void> ok = directories.Start(); !ok) {
    std::cerr << "keyward-poller: " << ok.error() << "\n";
    return 2;
  }
  poller::DirectoryEndpoint endpoint(cfg, directories);
  if (Result<void> ok = endpoint.Start(); !ok) {
    std::cerr << "keyward-poller: " << ok.error() << "\n";
    return 2;
  }
  auto now = [] { return static_cast<int64_t>(std::time(nullptr)); };
  auto tick = [&] {
    directories.DrainEvents(now());
    directories.RunDue(now());
  };
  spdlog::info("poller: {} CA(s), interval {} s, validity {} s, re-sign at {:.0f}%", cfg.cas.size(),
               cfg.poller.interval_s, cfg.ocsp.validity_s, cfg.ocsp.resign_fraction * 100);
  int exit_code = 0;
  while (!g_stop.load()) {
    Result<poller::PassStats> stats = poller.RunPass(static_cast<int64_t>(std::time(nullptr)));
    if (!stats) {
      spdlog::error("poller: pass failed: {}", stats.error());
      exit_code = 1;
    } else {
      exit_code = 0;
      if (stats->source_changes > 0 || stats->refreshed > 0) {
        spdlog::info("poller: pass: {} records, {} status changes, {} refreshed, {} source errors",
                     stats->records, stats->source_changes, stats->refreshed, stats->source_errors);
      }
    }
    // The poller's first pass has loaded every record: directories may now
    // reconcile against it.
    directories.RunDue(now());
    if (once) break;
    SleepUnlessStopped(cfg.poller.interval_s, tick);
  }
  endpoint.Stop();
  return exit_code;
}
