#pragma once
// Each `keyward` subcommand registers itself on the CLI11 app. main.cc calls
// every Add*Command; a command's callback loads the config, does its work and
// throws CommandError (one line for the user) on failure.
#include <CLI/CLI.hpp>

#include <stdexcept>
#include <string>

namespace keyward::cli {

class CommandError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

void AddCaCommands(CLI::App& app);         // ca init
void AddIssueCommand(CLI::App& app);       // issue
void AddRevokeCommand(CLI::App& app);      // revoke
void AddStatusCommand(CLI::App& app);      // status
void AddChallengeCommands(CLI::App& app);  // challenge create (SCEP one-time challenges)
void AddPendingCommands(CLI::App& app);    // pending list|approve|reject (SCEP manual approval)
void AddDeviceCommands(CLI::App& app);     // device status|list (directory state per device)
void AddDirectoryCommands(CLI::App& app);  // directory confirm|status (held syncs)

}  // namespace keyward::cli
