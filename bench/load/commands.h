#pragma once
// Each keyward-bench mode registers itself on the CLI11 app; its callback
// sets the process exit code through the int it is given.
#include <CLI/CLI.hpp>

#include <string>

namespace keyward::bench {

void AddLoadCommand(CLI::App& app, int* exit_code);         // load (the default use)
void AddCorpusCommand(CLI::App& app, int* exit_code);       // corpus
void AddPropagationCommand(CLI::App& app, int* exit_code);  // propagation
void AddScepCommand(CLI::App& app, int* exit_code);         // scep
void AddSeedCommand(CLI::App& app, int* exit_code);         // seed (hidden, for compare.sh)

// ParseHttpUrl splits "http://127.0.0.1:8080/ocsp" ("[::1]" for IPv6);
// false on anything else.
struct HttpUrl {
  std::string host;
  int port = 80;
  std::string path = "/";
};
bool ParseHttpUrl(const std::string& url, HttpUrl* out);

}  // namespace keyward::bench
