// `keyward pending list|approve|reject`: the administrator's side of SCEP
// manual approval (challenge_mode = "manual"). The issuer answers PENDING
// and keeps the CSR in Redis; approving marks it, and the issuer signs it at
// the client's next CertPoll (or resent PKCSReq), so only the issuer ever
// uses the CA key.
#include <iostream>

#include "cli/commands.h"
#include "cli/context.h"
#include "shared/store/challenge_store.h"

namespace keyward::cli {
namespace {

struct PendingOptions {
  std::string config;
  std::string id;
  std::string note;
  bool all = false;
};

void RunList(const PendingOptions& opt) {
  config::Config cfg = LoadConfigOrThrow(opt.config);
  store::ChallengeStore challenges(cfg.store);
  Result<std::vector<store::PendingRequest>> list = challenges.ListPending();
  if (!list) throw CommandError(list.error());
  size_t shown = 0;
  for (const store::PendingRequest& p : *list) {
    if (!opt.all && p.state != store::PendingState::kPending) continue;
    std::cout << p.id << "  " << store::PendingStateName(p.state) << "  ca=" << p.ca
              << "  requested=" << FormatTime(p.requested_at) << "  from=" << p.remote
              << "  subject=\"" << p.subject << "\"";
    if (!p.serial_hex.empty()) std::cout << "  serial=" << p.serial_hex;
    if (!p.note.empty()) std::cout << "  note=\"" << p.note << "\"";
    std::cout << "\n";
    ++shown;
  }
  if (shown == 0) std::cerr << "no pending SCEP requests\n";
}

void RunDecide(const PendingOptions& opt, store::PendingState to) {
  config::Config cfg = LoadConfigOrThrow(opt.config);
  store::ChallengeStore challenges(cfg.store);
  Result<bool> moved = challenges.Transition(opt.id, store::PendingState::kPending, to, opt.note);
  if (!moved) throw CommandError(moved.error());
  if (!*moved) {
    Result<std::optional<store::PendingRequest>> p = challenges.GetPending(opt.id);
    if (p && *p) {
      throw CommandError("request " + opt.id + " is " +
                         std::string(store::PendingStateName((*p)->state)) + ", not pending");
    }
    throw CommandError("no pending request " + opt.id + " (see keyward pending list)");
  }
  std::cout << "request " << opt.id << " " << store::PendingStateName(to)
            << (to == store::PendingState::kApproved
                    ? "; the certificate is issued at the client's next poll\n"
                    : "\n");
}

}  // namespace

void AddPendingCommands(CLI::App& app) {
  CLI::App* group = app.add_subcommand("pending", "SCEP requests waiting for manual approval");
  group->require_subcommand(1);
  auto opt = std::make_shared<PendingOptions>();
  CLI::App* list = group->add_subcommand("list", "List requests waiting for approval");
  list->add_option("--config", opt->config, "Keyward TOML config")->required();
  list->add_flag("--all", opt->all, "Also show approved, rejected and issued requests");
  list->callback([opt] { RunList(*opt); });
  CLI::App* approve = group->add_subcommand("approve", "Approve a request (by id)");
  approve->add_option("--config", opt->config, "Keyward TOML config")->required();
  approve->add_option("id", opt->id, "Request id from `keyward pending list`")->required();
  approve->add_option("--note", opt->note, "Who approved and why (kept with the request)");
  approve->callback([opt] { RunDecide(*opt, store::PendingState::kApproved); });
  CLI::App* reject = group->add_subcommand("reject", "Reject a request (by id)");
  reject->add_option("--config", opt->config, "Keyward TOML config")->required();
  reject->add_option("id", opt->id, "Request id from `keyward pending list`")->required();
  reject->add_option("--note", opt->note, "Reason, sent to the client as failInfoText");
  reject->callback([opt] { RunDecide(*opt, store::PendingState::kRejected); });
}

}  // namespace keyward::cli
