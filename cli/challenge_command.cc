// `keyward challenge create`: mint one-time SCEP challenges for
// challenge_mode = "otp". Each is random, valid for --ttl seconds (default
// [issuer] otp_ttl_s, like NDES' 60 minutes), usable once, and stored in
// Redis only as a SHA-256 hash: it is printed here and nowhere else.
#include <iostream>

#include "cli/commands.h"
#include "cli/context.h"
#include "shared/store/challenge_store.h"

namespace keyward::cli {
namespace {

struct ChallengeOptions {
  std::string config;
  std::string ca;
  int64_t ttl_s = 0;
  int count = 1;
};

void RunCreate(const ChallengeOptions& opt) {
  config::Config cfg = LoadConfigOrThrow(opt.config);
  std::string ca = opt.ca.empty() ? cfg.issuer.ca : opt.ca;
  // As keyward-issuer does: without [issuer] ca, the first CA with a key.
  for (const config::CaConfig& c : cfg.cas) {
    if (ca.empty() && c.issues()) ca = c.name;
  }
  if (ca.empty()) throw CommandError("no CA: pass --ca or set [issuer] ca");
  CaConfigOrThrow(cfg, ca);
  if (cfg.issuer.challenge_mode != "otp") {
    std::cerr << "note: [issuer] challenge_mode is \"" << cfg.issuer.challenge_mode
              << "\"; the issuer accepts one-time challenges only with \"otp\"\n";
  }
  int64_t ttl = opt.ttl_s > 0 ? opt.ttl_s : cfg.issuer.otp_ttl_s;
  store::ChallengeStore challenges(cfg.store);
  for (int i = 0; i < opt.count; ++i) {
    Result<std::string> c = challenges.CreateChallenge(ca, ttl);
    if (!c) throw CommandError("challenge not stored: " + c.error());
    std::cout << *c << "\n";
  }
  std::cerr << opt.count << " one-time challenge(s) for CA " << ca << ", valid " << ttl
            << " s, single use\n";
}

}  // namespace

void AddChallengeCommands(CLI::App& app) {
  CLI::App* group = app.add_subcommand("challenge", "SCEP one-time challenge passwords");
  group->require_subcommand(1);
  auto opt = std::make_shared<ChallengeOptions>();
  CLI::App* create = group->add_subcommand(
      "create", "Mint one-time SCEP challenges (printed once, stored hashed, single use)");
  create->add_option("--config", opt->config, "Keyward TOML config")->required();
  create->add_option("--ca", opt->ca, "CA name (default: [issuer] ca)");
  create->add_option("--ttl", opt->ttl_s, "Lifetime in seconds (default: [issuer] otp_ttl_s)")
      ->check(CLI::Range(int64_t{1}, int64_t{366} * 24 * 3600));
  create->add_option("--count", opt->count, "How many to mint (default 1)")
      ->check(CLI::Range(1, 10000));
  create->callback([opt] { RunCreate(*opt); });
}

}  // namespace keyward::cli
