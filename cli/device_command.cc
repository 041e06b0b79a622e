// `keyward device status ID` and `keyward device list [--state S]`: what the
// directories last said of a device (kept in Redis by the poller), and the
// status of the certificates issued to it.
#include <iostream>
#include <map>
#include <set>

#include "cli/commands.h"
#include "cli/context.h"
#include "shared/directory/device_state.h"
#include "shared/directory/state_store.h"

namespace keyward::cli {
namespace {

struct DeviceOptions {
  std::string config;
  std::string id;
  std::string state;
  std::string directory;
};

void PrintCert(const store::CertRecord& r) {
  std::cout << "certificate: ca " << r.ca << " serial " << r.serial_hex << " "
            << ocsp::CertStatusName(r.status);
  if (r.status == ocsp::CertStatus::kRevoked && r.reason != ocsp::RevocationReason::kNone) {
    std::cout << " (" << ocsp::ReasonName(r.reason) << ")";
  }
  std::cout << " source " << store::SourceName(r.source);
  if (r.not_after != 0) std::cout << " not_after " << FormatTime(r.not_after);
  std::cout << "\n";
}

void RunDeviceStatus(const DeviceOptions& opt) {
  config::Config cfg = LoadConfigOrThrow(opt.config);
  if (cfg.directories.empty()) throw CommandError(opt.config + " has no [[directory]]");
  Result<std::unique_ptr<store::StoreWriter>> store = store::ConnectRedis(cfg.store);
  if (!store) throw CommandError(store.error());
  std::cout << "device: " << opt.id << "\n";
  for (const config::DirectoryConfig& d : cfg.directories) {
    directory::StateStore states(cfg.store, d.name);
    Result<directory::StateMap> map = states.Load();
    if (!map) throw CommandError(map.error());
    auto it = map->find(opt.id);
    std::cout << "directory " << d.name << ": "
              << (it == map->end() ? std::string("not listed (unlisted = ") + d.unlisted + ")"
                                   : std::string(directory::DeviceStateName(it->second)))
              << "\n";
  }
  // The store's device index names the certificates; each record is then
  // read for its current status.
  size_t found = 0;
  Result<std::vector<std::pair<std::string, std::string>>> certs =
      (*store)->DeviceCertificates(opt.id);
  if (!certs) throw CommandError(certs.error());
  for (const auto& [ca, serial] : *certs) {
    Result<std::optional<store::CertRecord>> r = (*store)->GetRecord(ca, serial);
    if (!r) throw CommandError(r.error());
    if (!r->has_value()) continue;
    PrintCert(**r);
    ++found;
  }
  if (found == 0) std::cout << "certificates: none with this device ID\n";
}

void RunDeviceList(const DeviceOptions& opt) {
  config::Config cfg = LoadConfigOrThrow(opt.config);
  if (cfg.directories.empty()) throw CommandError(opt.config + " has no [[directory]]");
  std::optional<directory::DeviceState> want;
  if (!opt.state.empty()) {
    want = directory::DeviceStateFromName(opt.state);
    if (!want) throw CommandError("--state must be active, disabled or deleted");
  }
  size_t shown = 0;
  for (const config::DirectoryConfig& d : cfg.directories) {
    if (!opt.directory.empty() && d.name != opt.directory) continue;
    directory::StateStore states(cfg.store, d.name);
    Result<directory::StateMap> map = states.Load();
    if (!map) throw CommandError(map.error());
    std::map<std::string, directory::DeviceState> sorted(map->begin(), map->end());
    for (const auto& [id, s] : sorted) {
      if (want && s != *want) continue;
      std::cout << d.name << "\t" << id << "\t" << directory::DeviceStateName(s) << "\n";
      ++shown;
    }
  }
  std::cerr << shown << " device(s)\n";
}

}  // namespace

void AddDeviceCommands(CLI::App& app) {
  CLI::App* device = app.add_subcommand(
      "device", "Devices as the [[directory]] sources last listed them, and their certificates");
  device->require_subcommand(1);

  auto st = std::make_shared<DeviceOptions>();
  CLI::App* status = device->add_subcommand(
      "status", "Print each directory's state for a device and its certificates' status");
  status->add_option("--config", st->config, "Keyward TOML config")->required();
  status->add_option("id", st->id, "Device ID (as the CA's device_id rule extracts it)")
      ->required();
  status->callback([st] { RunDeviceStatus(*st); });

  auto ls = std::make_shared<DeviceOptions>();
  CLI::App* list = device->add_subcommand("list", "List known devices: DIRECTORY<TAB>ID<TAB>STATE");
  list->add_option("--config", ls->config, "Keyward TOML config")->required();
  list->add_option("--state", ls->state, "Only devices in this state: active, disabled, deleted");
  list->add_option("--directory", ls->directory, "Only this [[directory]]");
  list->callback([ls] { RunDeviceList(*ls); });
}

}  // namespace keyward::cli
