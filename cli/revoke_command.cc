// `keyward revoke`: mark a certificate revoked, re-sign its responses and
// publish. When it returns, the change is in Redis and on the invalidation
// channel, so every connected responder answers "revoked" within a second.
#include <iostream>

#include "cli/commands.h"
#include "cli/context.h"

namespace keyward::cli {
namespace {

struct RevokeOptions {
  std::string config;
  std::string ca;
  std::string serial;
  std::string reason = "unspecified";
};

void RunRevoke(const RevokeOptions& opt) {
  std::optional<ocsp::RevocationReason> reason = ocsp::ReasonFromName(opt.reason);
  if (!reason || *reason == ocsp::RevocationReason::kNone) {
    throw CommandError("unknown reason '" + opt.reason +
                       "' (unspecified, keyCompromise, cACompromise, affiliationChanged, "
                       "superseded, cessationOfOperation, certificateHold, privilegeWithdrawn, "
                       "aACompromise)");
  }
  std::string serial = SerialOrThrow(opt.serial);
  Context ctx = LoadContext(opt.config, pki::KeyUse::kOcspOnly, NeedStore::kYes);
  ctx.Ca(opt.ca);  // throws for an unknown CA
  Result<std::optional<store::CertRecord>> found = ctx.store->GetRecord(opt.ca, serial);
  if (!found) throw CommandError(found.error());
  int64_t now = NowSeconds();
  store::CertRecord record;
  if (found->has_value()) {
    record = **found;
    if (record.status == ocsp::CertStatus::kRevoked && record.reason == *reason) {
      std::cout << "serial " << serial << " was already revoked ("
                << ocsp::ReasonName(record.reason) << ") at " << FormatTime(record.revoked_at)
                << "\n";
      return;
    }
  } else {
    // A serial we hold no record for (issued elsewhere, or before Keyward):
    // revoking it still has to work, so create the record.
    record.ca = opt.ca;
    record.serial_hex = serial;
    std::cerr << "note: no record of serial " << serial << " in CA " << opt.ca
              << "; creating one as revoked\n";
  }
  // An admin revocation is Keyward's own: a status source (index.txt, CRL,
  // directory) never turns it back to good.
  record.source = store::Source::kKeyward;
  if (record.status != ocsp::CertStatus::kRevoked) record.revoked_at = now;
  record.status = ocsp::CertStatus::kRevoked;
  record.reason = *reason;
  Result<uint64_t> gen = ctx.publisher->Publish(record, now);
  if (!gen) throw CommandError("revocation not stored: " + gen.error());
  std::cout << "revoked serial " << serial << " of CA " << opt.ca << " ("
            << ocsp::ReasonName(record.reason) << ") at " << FormatTime(record.revoked_at)
            << "; published as generation " << *gen << "\n";
}

}  // namespace

void AddRevokeCommand(CLI::App& app) {
  auto opt = std::make_shared<RevokeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "revoke",
      "Revoke a certificate: store the new status, re-sign its OCSP responses and publish them; "
      "every running responder answers revoked within a second.");
  cmd->add_option("--config", opt->config, "Keyward TOML config")->required();
  cmd->add_option("--ca", opt->ca, "CA name ([[ca]] name)")->required();
  cmd->add_option("--serial", opt->serial, "Serial number in hex")->required();
  cmd->add_option("--reason", opt->reason, "CRLReason (default unspecified)");
  cmd->callback([opt] { RunRevoke(*opt); });
}

}  // namespace keyward::cli
