// `keyward directory confirm --name N`: allow a sync the safety threshold
// held (it would have disabled or deleted more than max_disable_fraction of
// the directory's devices at once). The poller applies it on its next pass
// of that directory. `keyward directory status` prints each directory's
// last sync and any held sync.
#include <iostream>

#include "cli/commands.h"
#include "cli/context.h"
#include "shared/directory/state_store.h"

namespace keyward::cli {
namespace {

struct DirectoryOptions {
  std::string config;
  std::string name;
};

const config::DirectoryConfig& DirectoryOrThrow(const config::Config& cfg,
                                                const std::string& name) {
  for (const config::DirectoryConfig& d : cfg.directories) {
    if (d.name == name) return d;
  }
  throw CommandError("no [[directory]] named '" + name + "' in " + cfg.path);
}

void RunConfirm(const DirectoryOptions& opt) {
  config::Config cfg = LoadConfigOrThrow(opt.config);
  const config::DirectoryConfig& d = DirectoryOrThrow(cfg, opt.name);
  directory::StateStore states(cfg.store, d.name);
  Result<std::optional<directory::HeldSync>> held = states.GetHeld();
  if (!held) throw CommandError(held.error());
  if (!held->has_value()) {
    throw CommandError("directory " + d.name + " has no held sync; nothing to confirm");
  }
  Result<void> ok = states.Confirm(NowSeconds());
  if (!ok) throw CommandError(ok.error());
  std::cout << "confirmed: directory " << d.name << " may disable or delete " << (*held)->count
            << " of " << (*held)->known << " devices (held since " << FormatTime((*held)->at)
            << "); the poller applies it on its next sync of the directory (interval "
            << d.interval_s << " s)\n";
}

void RunDirectoryStatus(const DirectoryOptions& opt) {
  config::Config cfg = LoadConfigOrThrow(opt.config);
  for (const config::DirectoryConfig& d : cfg.directories) {
    if (!opt.name.empty() && d.name != opt.name) continue;
    directory::StateStore states(cfg.store, d.name);
    Result<directory::SyncRecord> sync = states.GetSync();
    if (!sync) throw CommandError(sync.error());
    Result<std::optional<directory::HeldSync>> held = states.GetHeld();
    if (!held) throw CommandError(held.error());
    std::cout << "directory " << d.name << " (" << d.kind << "):\n  last good sync: "
              << (sync->last_ok != 0 ? FormatTime(sync->last_ok) : std::string("never")) << "\n";
    if (sync->last_error_at != 0) {
      std::cout << "  last error: " << FormatTime(sync->last_error_at) << ": " << sync->last_error
                << "\n";
    }
    if (held->has_value()) {
      std::cout << "  held: would disable or delete " << (*held)->count << " of " << (*held)->known
                << " devices; run keyward directory confirm --name " << d.name << "\n";
    }
  }
}

}  // namespace

void AddDirectoryCommands(CLI::App& app) {
  CLI::App* dir = app.add_subcommand("directory", "Device directory sources ([[directory]])");
  dir->require_subcommand(1);

  auto c = std::make_shared<DirectoryOptions>();
  CLI::App* confirm =
      dir->add_subcommand("confirm", "Allow the sync the safety threshold held for this directory");
  confirm->add_option("--config", c->config, "Keyward TOML config")->required();
  confirm->add_option("--name", c->name, "[[directory]] name")->required();
  confirm->callback([c] { RunConfirm(*c); });

  auto s = std::make_shared<DirectoryOptions>();
  CLI::App* status =
      dir->add_subcommand("status", "Print each directory's last sync and held sync");
  status->add_option("--config", s->config, "Keyward TOML config")->required();
  status->add_option("--name", s->name, "Only this [[directory]]");
  status->callback([s] { RunDirectoryStatus(*s); });
}

}  // namespace keyward::cli
