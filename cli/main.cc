// keyward: the admin CLI. Flags and dispatch only; each command lives in its
// own file under cli/.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{
      "keyward: administer Keyward CAs and certificate status (ca init, issue, revoke, status, "
      "challenge, pending). Every command takes --config FILE."};
  app.require_subcommand(1);
  keyward::cli::AddCaCommands(app);
  keyward::cli::AddIssueCommand(app);
  keyward::cli::AddRevokeCommand(app);
  keyward::cli::AddStatusCommand(app);
  keyward::cli::AddDeviceCommands(app);
  keyward::cli::AddDirectoryCommands(app);
  keyward::cli::AddChallengeCommands(app);
  keyward::cli::AddPendingCommands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const keyward::cli::CommandError& e) {
    std::cerr << "keyward: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "keyward: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
