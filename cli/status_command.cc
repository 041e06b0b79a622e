// `keyward status`: print what the store says of a certificate, and of the
// signed responses the responders serve for it.
#include <iostream>

#include "cli/commands.h"
#include "cli/context.h"
#include "shared/status/status_publisher.h"
#include "shared/store/keys.h"

namespace keyward::cli {
namespace {

struct StatusOptions {
  std::string config;
  std::string ca;
  std::string serial;
};

void RunStatus(const StatusOptions& opt) {
  std::string serial = SerialOrThrow(opt.serial);
  config::Config cfg = LoadConfigOrThrow(opt.config);
  CaConfigOrThrow(cfg, opt.ca);
  Result<std::unique_ptr<store::StoreWriter>> store = store::ConnectRedis(cfg.store);
  if (!store) throw CommandError(store.error());
  Result<std::optional<store::CertRecord>> found = (*store)->GetRecord(opt.ca, serial);
  if (!found) throw CommandError(found.error());
  if (!found->has_value()) {
    std::cout << "status: unknown\nca: " << opt.ca << "\nserial: " << serial
              << "\n(no record: responders answer unknown)\n";
    return;
  }
  const store::CertRecord& r = **found;
  std::cout << "status: " << ocsp::CertStatusName(r.status) << "\n";
  if (r.status == ocsp::CertStatus::kRevoked) {
    std::cout << "reason: "
              << (r.reason == ocsp::RevocationReason::kNone ? "none" : ocsp::ReasonName(r.reason))
              << "\nrevoked_at: " << FormatTime(r.revoked_at) << "\n";
  }
  std::cout << "ca: " << r.ca << "\nserial: " << r.serial_hex << "\n";
  if (!r.subject.empty()) std::cout << "subject: " << r.subject << "\n";
  if (r.not_after != 0) std::cout << "not_after: " << FormatTime(r.not_after) << "\n";
  if (!r.device_id.empty()) std::cout << "device_id: " << r.device_id << "\n";
  std::cout << "source: " << store::SourceName(r.source) << "\n";
  // The bucket is a hash of the serial; print it for redis-cli (docs/store.md).
  std::cout << "responses_in: " << store::Keys(cfg.store.key_prefix).ResponseHash(opt.ca, serial)
            << "\n";
  for (ocsp::HashAlg alg : status::kPrecomputedAlgs) {
    Result<std::optional<store::StoredResponse>> resp = (*store)->GetResponse(opt.ca, alg, serial);
    if (!resp) throw CommandError(resp.error());
    std::cout << "response_" << ocsp::HashAlgName(alg) << ": ";
    if (!resp->has_value()) {
      std::cout << "missing\n";
      continue;
    }
    std::cout << ocsp::CertStatusName((*resp)->status) << ", " << (*resp)->der.size()
              << " bytes, this_update " << FormatTime((*resp)->this_update) << ", next_update "
              << FormatTime((*resp)->next_update) << "\n";
  }
}

}  // namespace

void AddStatusCommand(CLI::App& app) {
  auto opt = std::make_shared<StatusOptions>();
  CLI::App* cmd =
      app.add_subcommand("status", "Print a certificate's status as the store holds it");
  cmd->add_option("--config", opt->config, "Keyward TOML config")->required();
  cmd->add_option("--ca", opt->ca, "CA name ([[ca]] name)")->required();
  cmd->add_option("--serial", opt->serial, "Serial number in hex")->required();
  cmd->callback([opt] { RunStatus(*opt); });
}

}  // namespace keyward::cli
