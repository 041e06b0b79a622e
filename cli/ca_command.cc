// `keyward ca init`: create whatever key and certificate files are missing for
// each [[ca]] that has a key (the CA, its delegated OCSP signer, the RSA RA).
#include <iostream>

#include "cli/commands.h"
#include "cli/context.h"
#include "shared/pki/ca_init.h"

namespace keyward::cli {
namespace {

struct CaInitOptions {
  std::string config;
  std::string only_ca;
};

void RunCaInit(const CaInitOptions& opt) {
  config::Config cfg = LoadConfigOrThrow(opt.config);
  int initialised = 0;
  for (const config::CaConfig& ca : cfg.cas) {
    if (!opt.only_ca.empty() && ca.name != opt.only_ca) continue;
    if (!ca.issues()) {
      std::cout << "ca " << ca.name << ": no key configured (an existing CA); nothing to create\n";
      continue;
    }
    Result<std::vector<std::string>> created = pki::InitCa(ca);
    if (!created) throw CommandError("ca " + ca.name + ": " + created.error());
    if (created->empty()) {
      std::cout << "ca " << ca.name << ": all files present\n";
    }
    for (const std::string& file : *created)
      std::cout << "ca " << ca.name << ": created " << file << "\n";
    ++initialised;
  }
  if (!opt.only_ca.empty() && cfg.FindCa(opt.only_ca) == nullptr) {
    throw CommandError("no [[ca]] named '" + opt.only_ca + "' in " + cfg.path);
  }
  (void)initialised;
}

}  // namespace

void AddCaCommands(CLI::App& app) {
  CLI::App* ca = app.add_subcommand("ca", "Manage Keyward CAs");
  ca->require_subcommand(1);
  auto opt = std::make_shared<CaInitOptions>();
  CLI::App* init = ca->add_subcommand(
      "init",
      "Create missing files for each [[ca]] with a key: the CA certificate and key, the "
      "delegated OCSP signer (ECDSA P-256 by default) and the RSA RA certificate SCEP needs. "
      "Existing files are never overwritten.");
  init->add_option("--config", opt->config, "Keyward TOML config")->required();
  init->add_option("--ca", opt->only_ca, "Only this CA");
  init->callback([opt] { RunCaInit(*opt); });
}

}  // namespace keyward::cli
