#include "bench/load/commands.h"
namespace keyward::bench {
void AddPropagationCommand(CLI::App&, int*) {}
void AddScepCommand(CLI::App&, int*) {}
}  // namespace keyward::bench
