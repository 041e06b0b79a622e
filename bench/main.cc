// keyward-bench: load generator and probes for Keyward and the OCSP and SCEP
// servers it is compared with. Flags and wiring only; each mode lives in
// bench/load/.
#include <openssl/err.h>

#include <CLI/CLI.hpp>

#include "bench/load/commands.h"

int main(int argc, char** argv) {
  CLI::App app(
      "keyward-bench: OCSP load generator (load), corpus builder (corpus), revocation "
      "propagation probe (propagation) and SCEP enrollment load (scep). Every mode stops by "
      "itself and exits non-zero on a wrong answer.",
      "keyward-bench");
  app.require_subcommand(1);
  int exit_code = 0;
  keyward::bench::AddLoadCommand(app, &exit_code);
  keyward::bench::AddCorpusCommand(app, &exit_code);
  keyward::bench::AddPropagationCommand(app, &exit_code);
  keyward::bench::AddScepCommand(app, &exit_code);
  keyward::bench::AddSeedCommand(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
