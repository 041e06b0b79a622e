// `keyward-bench seed` (hidden; for compare.sh): N synthetic certificate
// records of one CA, a given share revoked, signed through
// status::StatusPublisher exactly as `keyward issue/revoke` does, applied to
// Redis, and the very same signed responses written out for the servers
// Keyward is compared with:
//  - nginx: one static file per response at the path a GET request names;
//  - openssl ocsp: an index.txt;
//  - cfssl ocspserve: a -responses file (base64 DER, one per line; SHA-1).
// It also writes the matching corpus. No certificate is generated: a CertID
// needs only the issuer and the serial.
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

#include "bench/load/commands.h"
#include "bench/load/corpus_writer.h"
#include "bench/load/ocsp_request_builder.h"
#include "shared/config/config.h"
#include "shared/pki/ca_material.h"
#include "shared/status/status_publisher.h"
#include "shared/store/store.h"

namespace keyward::bench {
namespace {

struct SeedFlags {
  std::string config, ca, corpus, nginx_root, index, cfssl, serial_prefix = "4B57";
  size_t count = 100'000, corpus_max = 0, unknown = 1000, batch = 2000;
  double revoked_fraction = 0.01;
  int threads = 2;
  bool no_store = false;
};

std::string SerialAt(const std::string& prefix, size_t i) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s%028zX", prefix.c_str(), i + 1);
  return buf;
}

std::string IndexTime(int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%y%m%d%H%M%SZ", &tm);
  return buf;
}

// WriteNginxFile stores `der` where nginx finds it for GET "/" + the
// percent-encoded base64 of `request`: nginx decodes %2F into '/', so each
// '/' of the base64 is a directory level (nginx runs with merge_slashes off).
bool WriteNginxFile(const std::string& root, const std::string& request, const std::string& der) {
  std::filesystem::path p = std::filesystem::path(root) / Base64(request);
  std::error_code ec;
  std::filesystem::create_directories(p.parent_path(), ec);
  std::ofstream out(p, std::ios::binary);
  out.write(der.data(), static_cast<std::streamsize>(der.size()));
  return static_cast<bool>(out);
}

int RunSeed(const SeedFlags& f) {
  config::Config cfg;
  try {
    cfg = config::Load(f.config);
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "keyward-bench seed: %s\n", e.what());
    return 2;
  }
  const config::CaConfig* ca_cfg = cfg.FindCa(f.ca);
  if (ca_cfg == nullptr) {
    std::fprintf(stderr, "keyward-bench seed: no [[ca]] named '%s'\n", f.ca.c_str());
    return 2;
  }
  std::vector<pki::CaMaterial> cas;
  Result<pki::CaMaterial> ca = pki::LoadCa(*ca_cfg, pki::KeyUse::kOcspOnly);
  if (!ca) {
    std::fprintf(stderr, "keyward-bench seed: %s\n", ca.error().c_str());
    return 2;
  }
  cas.push_back(std::move(*ca));
  X509* issuer = cas[0].cert.get();
  std::unique_ptr<store::StoreWriter> store = store::NewMemoryStore();
  if (!f.no_store) {
    Result<std::unique_ptr<store::StoreWriter>> redis = store::ConnectRedis(cfg.store, 10'000);
    if (!redis) {
      std::fprintf(stderr, "keyward-bench seed: %s\n", redis.error().c_str());
      return 2;
    }
    store = std::move(*redis);
  }
  status::StatusPublisher publisher(*store, cas, cfg.ocsp);
  int64_t now = static_cast<int64_t>(std::time(nullptr));

  CorpusWriter corpus;
  if (!f.corpus.empty()) {
    if (Result<void> r = corpus.Open(f.corpus); !r) {
      std::fprintf(stderr, "keyward-bench seed: %s\n", r.error().c_str());
      return 2;
    }
  }
  std::ofstream index, cfssl;
  if (!f.index.empty()) index.open(f.index);
  if (!f.cfssl.empty()) cfssl.open(f.cfssl);
  size_t revoke_every =
      f.revoked_fraction > 0 ? static_cast<size_t>(1.0 / f.revoked_fraction + 0.5) : 0;
  size_t corpus_stride =
      (f.corpus_max == 0 || f.corpus_max >= f.count) ? 1 : f.count / f.corpus_max;
  uint64_t response_bytes = 0, responses = 0, skipped = 0;
  double sign_s = 0, apply_s = 0;
  auto t_start = std::chrono::steady_clock::now();

  for (size_t base = 0; base < f.count; base += f.batch) {
    size_t n = std::min(f.batch, f.count - base);
    std::vector<store::CertUpdate> updates(n);
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    auto t0 = std::chrono::steady_clock::now();
    auto work = [&] {
      for (size_t k = next++; k < n; k = next++) {
        size_t i = base + k;
        store::CertRecord rec;
        rec.ca = f.ca;
        rec.serial_hex = SerialAt(f.serial_prefix, i);
        rec.not_before = now - 86400;
        rec.not_after = now + 365 * 86400;
        rec.subject = "CN=bench-" + std::to_string(i);
        if (revoke_every != 0 && i % revoke_every == revoke_every / 2) {
          rec.status = ocsp::CertStatus::kRevoked;
          rec.revoked_at = now - 3600;
          rec.reason = ocsp::RevocationReason::kKeyCompromise;
        }
        Result<store::CertUpdate> u = publisher.BuildUpdate(rec, now);
        if (!u) {
          if (!failed.exchange(true))
            std::fprintf(stderr, "keyward-bench seed: %s\n", u.error().c_str());
          return;
        }
        updates[k] = std::move(*u);
      }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < f.threads; ++t) pool.emplace_back(work);
    work();
    for (std::thread& t : pool) t.join();
    if (failed) return 1;
    auto t1 = std::chrono::steady_clock::now();
    if (Result<void> r = store->ApplyBatch(updates); !r) {
      std::fprintf(stderr, "keyward-bench seed: %s\n", r.error().c_str());
      return 1;
    }
    if (f.no_store) store = store::NewMemoryStore();  // files only: do not keep it all
    auto t2 = std::chrono::steady_clock::now();
    sign_s += std::chrono::duration<double>(t1 - t0).count();
    apply_s += std::chrono::duration<double>(t2 - t1).count();

    for (size_t k = 0; k < n; ++k) {
      size_t i = base + k;
      const store::CertUpdate& u = updates[k];
      const store::CertRecord& rec = u.record;
      bool revoked = rec.status == ocsp::CertStatus::kRevoked;
      for (const auto& [alg, resp] : u.responses) {
        response_bytes += resp.der.size();
        ++responses;
        bool in_corpus = i % corpus_stride == 0 || revoked;
        std::string request = in_corpus ? RequestFor(issuer, rec.serial_hex, alg) : "";
        // A GET path ending in '/' names a directory to nginx, so no static
        // file can answer it; such requests (about 1 in 64 SHA-256 ones) stay
        // out of the corpus for every server alike.
        if (in_corpus && Base64(request).back() == '/') {
          ++skipped;
          in_corpus = false;
        }
        if (!f.corpus.empty() && in_corpus) {
          if (!corpus.Add(rec.status, request)) return 1;
          if (!f.nginx_root.empty() && !WriteNginxFile(f.nginx_root, request, resp.der)) {
            std::fprintf(stderr, "keyward-bench seed: cannot write under %s\n",
                         f.nginx_root.c_str());
            return 1;
          }
        }
        if (cfssl.is_open() && alg == ocsp::HashAlg::kSha1) cfssl << Base64(resp.der) << "\n";
      }
      if (index.is_open()) {
        index << (revoked ? "R\t" : "V\t") << IndexTime(rec.not_after) << "\t"
              << (revoked ? IndexTime(rec.revoked_at) + ",keyCompromise" : "") << "\t"
              << rec.serial_hex << "\tunknown\t/" << rec.subject << "\n";
      }
    }
    std::fprintf(stderr, "\rkeyward-bench seed: %zu/%zu records", base + n, f.count);
  }
  if (!f.corpus.empty()) {
    for (size_t i = 0; i < f.unknown; ++i) {
      for (ocsp::HashAlg alg : status::kPrecomputedAlgs) {
        if (!corpus.Add(ocsp::CertStatus::kUnknown, RequestFor(issuer, SerialAt("5A5A", i), alg)))
          return 1;
      }
    }
    if (Result<void> r = corpus.Close(); !r) {
      std::fprintf(stderr, "keyward-bench seed: %s\n", r.error().c_str());
      return 1;
    }
  }
  double total_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  // One line of JSON for compare.sh.
  std::printf(
      "{\"records\": %zu, \"responses\": %llu, \"response_bytes\": %llu, \"sign_s\": %.3f, "
      "\"apply_s\": %.3f, \"total_s\": %.3f, \"corpus_requests\": %zu, \"corpus_skipped\": %llu}\n",
      f.count, static_cast<unsigned long long>(responses),
      static_cast<unsigned long long>(response_bytes), sign_s, apply_s, total_s, corpus.count(),
      static_cast<unsigned long long>(skipped));
  std::fprintf(stderr, "\n");
  return (index.is_open() && !index) || (cfssl.is_open() && !cfssl) ? 1 : 0;
}

}  // namespace

void AddSeedCommand(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<SeedFlags>();
  CLI::App* cmd = app.add_subcommand(
      "seed",
      "Write N synthetic records of one CA through StatusPublisher into the store, and the same "
      "signed responses for nginx (files), openssl ocsp (index.txt) and cfssl (responses file).");
  cmd->group("");  // hidden: a tool for compare.sh, not for users
  cmd->add_option("--config", f->config, "Keyward TOML ([store], [[ca]] with its OCSP signer)")
      ->required();
  cmd->add_option("--ca", f->ca, "the [[ca]] name")->required();
  cmd->add_option("--count", f->count, "records")->capture_default_str();
  cmd->add_option("--revoked-fraction", f->revoked_fraction, "share revoked (keyCompromise)")
      ->capture_default_str();
  cmd->add_option("--serial-prefix", f->serial_prefix, "hex prefix of the 16-octet serials")
      ->capture_default_str();
  cmd->add_option("--corpus", f->corpus, "corpus file to write");
  cmd->add_option("--corpus-max", f->corpus_max,
                  "sample about this many records into the corpus (0: all)");
  cmd->add_option("--unknown", f->unknown, "never-issued serials added to the corpus as unknown")
      ->capture_default_str();
  cmd->add_option("--nginx-root", f->nginx_root,
                  "directory for nginx's static responses (corpus records)");
  cmd->add_option("--index", f->index, "openssl index.txt to write");
  cmd->add_option("--cfssl", f->cfssl, "cfssl -responses file to write (SHA-1 CertIDs)");
  cmd->add_option("--threads", f->threads, "signing threads")->capture_default_str();
  cmd->add_option("--batch", f->batch, "records per pipelined batch")->capture_default_str();
  cmd->add_flag("--no-store", f->no_store, "sign and write files only, nothing to Redis");
  cmd->callback([f, exit_code] { *exit_code = RunSeed(*f); });
}

}  // namespace keyward::bench
