// keyward-microbench main: Google Benchmark, then `openssl speed -seconds 2
// ecdsap256 rsa2048` on the same core, and the ratio of our live signing to
// OpenSSL's bare signature rate (the target: at least 70 % for
// ECDSA P-256).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <string>

namespace {

// CapturingReporter prints as usual and remembers items/s per benchmark.
class CapturingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      auto it = r.counters.find("items_per_second");
      if (it != r.counters.end()) rates[r.benchmark_name()] = it->second.value;
    }
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> rates;
};

// OpensslSpeed runs `openssl speed` and returns sign/s for ecdsap256 and rsa2048.
std::map<std::string, double> OpensslSpeed() {
  std::map<std::string, double> out;
  FILE* p = popen("openssl speed -seconds 2 ecdsap256 rsa2048 2>/dev/null", "r");
  if (p == nullptr) return out;
  char line[512];
  std::printf("\n$ openssl speed -seconds 2 ecdsap256 rsa2048\n");
  while (std::fgets(line, sizeof(line), p) != nullptr) {
    // Summary lines: "rsa 2048 bits 0.000905s 0.000027s 1104.5 37037.0"
    //                " 256 bits ecdsa (nistp256)   0.0000s   0.0001s  35000.0  12000.0"
    double a, b, sign, verify;
    char name[64];
    if (std::sscanf(line, "rsa %63s bits %lfs %lfs %lf %lf", name, &a, &b, &sign, &verify) == 5 &&
        std::strcmp(name, "2048") == 0) {
      out["rsa2048"] = sign;
      std::fputs(line, stdout);
    } else if (std::strstr(line, "ecdsa (nistp256)") != nullptr &&
               std::sscanf(std::strstr(line, ")") + 1, " %lfs %lfs %lf %lf", &a, &b, &sign,
                           &verify) == 4) {
      out["ecdsap256"] = sign;
      std::fputs(line, stdout);
    }
  }
  pclose(p);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  CapturingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  bool signing = reporter.rates.count("BM_SignLiveEcdsaP256/min_time:2.000") ||
                 reporter.rates.count("BM_SignLiveRsa2048/min_time:2.000");
  if (!signing) return 0;
  std::map<std::string, double> speed = OpensslSpeed();
  std::printf("\nlive signing vs openssl speed (same core, signatures/s):\n");
  const std::pair<const char*, const char*> pairs[] = {
      {"BM_SignLiveEcdsaP256/min_time:2.000", "ecdsap256"},
      {"BM_SignLiveRsa2048/min_time:2.000", "rsa2048"}};
  for (auto [ours, theirs] : pairs) {
    if (!reporter.rates.count(ours) || !speed.count(theirs)) continue;
    double a = reporter.rates[ours], b = speed[theirs];
    std::printf("  %-10s SignLive %9.0f/s   openssl speed %9.0f/s   ratio %.2f\n", theirs, a, b,
                a / b);
  }
  return 0;
}
