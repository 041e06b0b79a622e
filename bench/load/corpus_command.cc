// `keyward-bench corpus`: build a corpus file from certificates or serials.
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bench/load/commands.h"
#include "bench/load/corpus.h"
#include "bench/load/corpus_writer.h"
#include "shared/openssl/ptr.h"

namespace keyward::bench {
namespace {

struct CorpusFlags {
  std::string ca_cert, out, serials, status = "good", hashes = "sha1,sha256";
  std::vector<std::string> certs;
  size_t unknown = 0;
};

std::vector<ocsp::HashAlg> ParseHashes(const std::string& text, bool* ok) {
  std::vector<ocsp::HashAlg> out;
  std::stringstream ss(text);
  std::string item;
  *ok = true;
  while (std::getline(ss, item, ',')) {
    if (item == "sha1")
      out.push_back(ocsp::HashAlg::kSha1);
    else if (item == "sha256")
      out.push_back(ocsp::HashAlg::kSha256);
    else if (item == "sha384")
      out.push_back(ocsp::HashAlg::kSha384);
    else if (item == "sha512")
      out.push_back(ocsp::HashAlg::kSha512);
    else
      *ok = false;
  }
  return out;
}

std::string SerialOf(X509* cert) {
  openssl::BignumPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
  if (!bn) return "";
  char* hex = BN_bn2hex(bn.get());
  std::string s = hex != nullptr ? hex : "";
  OPENSSL_free(hex);
  return s;
}

int RunCorpus(const CorpusFlags& f) {
  Result<void> bad;
  bool hashes_ok = false;
  std::vector<ocsp::HashAlg> algs = ParseHashes(f.hashes, &hashes_ok);
  std::optional<ocsp::CertStatus> default_status = StatusFromName(f.status);
  if (!hashes_ok || algs.empty() || !default_status) {
    std::fprintf(stderr, "keyward-bench corpus: bad --hash or --status\n");
    return 2;
  }
  FILE* cf = std::fopen(f.ca_cert.c_str(), "r");
  if (cf == nullptr) {
    std::fprintf(stderr, "keyward-bench corpus: %s: cannot open\n", f.ca_cert.c_str());
    return 2;
  }
  openssl::X509Ptr ca(PEM_read_X509(cf, nullptr, nullptr, nullptr));
  std::fclose(cf);
  if (!ca) {
    std::fprintf(stderr, "keyward-bench corpus: %s: not a PEM certificate\n", f.ca_cert.c_str());
    return 2;
  }
  CorpusWriter w;
  if (Result<void> r = w.Open(f.out); !r) {
    std::fprintf(stderr, "keyward-bench corpus: %s\n", r.error().c_str());
    return 2;
  }
  auto add = [&](const std::string& serial, ocsp::CertStatus st) {
    for (ocsp::HashAlg alg : algs) {
      if (!w.Add(st, RequestFor(ca.get(), serial, alg))) {
        std::fprintf(stderr, "keyward-bench corpus: serial '%s' unusable\n", serial.c_str());
        return false;
      }
    }
    return true;
  };
  // Certificates: every PEM certificate in each file (or each file of a directory).
  std::vector<std::string> files;
  for (const std::string& p : f.certs) {
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      for (const auto& e : std::filesystem::directory_iterator(p, ec))
        files.push_back(e.path().string());
    } else {
      files.push_back(p);
    }
  }
  for (const std::string& file : files) {
    FILE* in = std::fopen(file.c_str(), "r");
    if (in == nullptr) continue;
    while (X509* raw = PEM_read_X509(in, nullptr, nullptr, nullptr)) {
      openssl::X509Ptr cert(raw);
      if (!add(SerialOf(cert.get()), *default_status)) return 2;
    }
    std::fclose(in);
    openssl::DrainErrors();  // the read that ends the file leaves an error
  }
  if (!f.serials.empty()) {
    std::ifstream in(f.serials);
    if (!in) {
      std::fprintf(stderr, "keyward-bench corpus: %s: cannot open\n", f.serials.c_str());
      return 2;
    }
    std::string line;
    while (std::getline(in, line)) {
      std::stringstream ls(line);
      std::string serial, status;
      ls >> serial >> status;
      if (serial.empty() || serial[0] == '#') continue;
      std::optional<ocsp::CertStatus> st = status.empty() ? default_status : StatusFromName(status);
      if (!st || !add(serial, *st)) return 2;
    }
  }
  for (size_t i = 0; i < f.unknown; ++i) {
    unsigned char b[16];
    if (RAND_bytes(b, sizeof(b)) != 1) return 2;
    b[0] = (b[0] & 0x3F) | 0x40;  // positive, full length, and unlike any issued prefix
    char hex[33];
    for (size_t k = 0; k < sizeof(b); ++k) std::snprintf(hex + 2 * k, 3, "%02X", b[k]);
    if (!add(hex, ocsp::CertStatus::kUnknown)) return 2;
  }
  if (Result<void> r = w.Close(); !r) {
    std::fprintf(stderr, "keyward-bench corpus: %s\n", r.error().c_str());
    return 2;
  }
  std::fprintf(stderr, "keyward-bench corpus: wrote %zu requests to %s\n", w.count(),
               f.out.c_str());
  return 0;
}

}  // namespace

void AddCorpusCommand(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<CorpusFlags>();
  CLI::App* cmd = app.add_subcommand(
      "corpus",
      "Write a corpus file: one line per request, '<good|revoked|unknown> <base64 DER "
      "OCSPRequest>', one request per serial and CertID hash. `load --corpus` also reads a "
      "directory of <status>-*.der requests.");
  cmd->add_option("--ca-cert", f->ca_cert, "issuer certificate (PEM)")->required();
  cmd->add_option("--out,-o", f->out, "corpus file to write")->required();
  cmd->add_option("--certs", f->certs, "PEM files or directories of issued certificates");
  cmd->add_option("--serials", f->serials, "file of 'SERIALHEX [status]' lines");
  cmd->add_option("--status", f->status, "status of --certs and of serials without one")
      ->capture_default_str();
  cmd->add_option("--unknown", f->unknown, "add this many random never-issued serials as unknown");
  cmd->add_option("--hash", f->hashes, "CertID hashes, comma-separated: sha1,sha256,sha384,sha512")
      ->capture_default_str();
  cmd->callback([f, exit_code] { *exit_code = RunCorpus(*f); });
}

}  // namespace keyward::bench
