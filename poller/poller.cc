#include "poller/poller.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "shared/status/index_txt.h"

namespace keyward::poller {
namespace {

constexpr size_t kPublishBatch = 500;

}  // namespace

Poller::Poller(const config::Config& cfg, store::StoreWriter& store,
               const status::StatusPublisher& publisher)
    : cfg_(cfg), store_(store), publisher_(publisher) {}

void Poller::Remember(const store::CertRecord& r) {
  Known& k = known_[r.ca][r.serial_hex];
  if (!r.device_id.empty() && k.device_id != r.device_id) {
    // A certificate's device never changes once issued; a first sighting
    // (or a record rewritten with another ID) joins the index.
    if (!k.device_id.empty()) {
      auto& old = by_device_[k.device_id];
      std::erase_if(old,
                    [&](const CertRef& c) { return c.ca == r.ca && c.serial_hex == r.serial_hex; });
    }
    by_device_[r.device_id].push_back({r.ca, r.serial_hex});
    k.device_id = r.device_id;
  }
  k.status = r.status;
  k.reason = r.reason;
  k.revoked_at = r.revoked_at;
  k.updated_at = r.updated_at;
  k.source = r.source;
}

const Poller::Known* Poller::Find(const std::string& ca, const std::string& serial_hex) const {
  auto c = known_.find(ca);
  if (c == known_.end()) return nullptr;
  auto it = c->second.find(serial_hex);
  return it == c->second.end() ? nullptr : &it->second;
}

Result<void> Poller::LoadAll() {
  // Read the generation first: a change made while we list is then seen again
  // by FollowChangeLog, never missed.
  Result<uint64_t> gen = store_.Generation();
  if (!gen) return Fail(gen.error());
  Result<std::vector<store::CertRecord>> all = store_.ListRecords("");
  if (!all) return Fail(all.error());
  known_.clear();
  by_device_.clear();
  for (const store::CertRecord& r : *all) Remember(r);
  generation_ = *gen;
  loaded_ = true;
  spdlog::info("poller: loaded {} records at generation {}", all->size(), generation_);
  return {};
}

Result<void> Poller::FollowChangeLog() {
  Result<store::ChangesSince> changes = store_.Changes(generation_);
  if (!changes) return Fail(changes.error());
  if (changes->truncated) {
    spdlog::warn("poller: change log no longer reaches generation {}; reloading", generation_);
    return LoadAll();
  }
  for (const store::Invalidation& inv : changes->changes) {
    Result<std::optional<store::CertRecord>> r = store_.GetRecord(inv.ca, inv.serial_hex);
    if (!r) return Fail(r.error());
    if (r->has_value()) Remember(**r);
    generation_ = std::max(generation_, inv.generation);
  }
  generation_ = std::max(generation_, changes->generation);
  return {};
}

size_t Poller::ApplyIndex(const config::CaConfig& ca, int64_t now, PassStats* stats) {
  struct stat st {};
  if (stat(ca.index.c_str(), &st) != 0) {
    // An unreadable source never changes a status: the last state holds.
    spdlog::error("poller: CA {}: cannot read index {}: {}", ca.name, ca.index, strerror(errno));
    ++stats->source_errors;
    return 0;
  }
  IndexFileState& state = index_files_[ca.name];
  int64_t mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  if (mtime_ns == state.mtime_ns && st.st_size == state.size) return 0;
  std::ifstream in(ca.index, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  if (!in.good() && !in.eof()) {
    ++stats->source_errors;
    return 0;
  }
  status::IndexParse parsed = status::ParseIndex(buf.str());
  for (const auto& [line, why] : parsed.errors) {
    spdlog::warn("poller: {}:{}: {} (line skipped)", ca.index, line, why);
    ++stats->source_errors;
  }
  std::vector<store::CertRecord> changed;
  auto& known = known_[ca.name];
  for (const status::IndexEntry& e : parsed.entries) {
    auto it = known.find(e.serial_hex);
    if (it != known.end()) {
      const Known& k = it->second;
      // An admin revocation (`keyward revoke`) is sticky: the CA's database
      // does not undo it.
      if (k.source == store::Source::kKeyward && k.status == ocsp::CertStatus::kRevoked) continue;
      // A device directory's hold or revocation stands until the directory
      // itself releases it; the index still revokes a good certificate.
      if (k.source == store::Source::kDirectory && k.status == ocsp::CertStatus::kRevoked &&
          e.status != ocsp::CertStatus::kRevoked) {
        continue;
      }
      bool same = k.status == e.status && (e.status != ocsp::CertStatus::kRevoked ||
                                           (k.reason == e.reason && k.revoked_at == e.revoked_at));
      if (same) continue;
    }
    store::CertRecord r;
    r.ca = ca.name;
    r.serial_hex = e.serial_hex;
    r.status = e.status;
    r.reason = e.reason;
    r.revoked_at = e.revoked_at;
    r.not_after = e.not_after;
    r.subject = e.subject;
    r.source = store::Source::kIndex;
    changed.push_back(std::move(r));
  }
  size_t published = 0;
  for (size_t i = 0; i < changed.size(); i += kPublishBatch) {
    std::vector<store::CertRecord> batch(
        changed.begin() + static_cast<ptrdiff_t>(i),
        changed.begin() + static_cast<ptrdiff_t>(std::min(changed.size(), i + kPublishBatch)));
    Result<void> ok = publisher_.PublishBatch(batch, now);
    if (!ok) {
      // Leave the file state unchanged so the next pass retries the file.
      spdlog::error("poller: CA {}: publishing index changes failed: {}", ca.name, ok.error());
      ++stats->source_errors;
      return published;
    }
    for (store::CertRecord& r : batch) {
      r.updated_at = now;
      Remember(r);
      spdlog::info("poller: CA {} serial {} is now {} (from {})", ca.name, r.serial_hex,
                   ocsp::CertStatusName(r.status), ca.index);
    }
    published += batch.size();
  }
  state.mtime_ns = mtime_ns;
  state.size = st.st_size;
  return published;
}

Result<size_t> Poller::RefreshAged(int64_t now) {
  const int64_t resign_after =
      static_cast<int64_t>(static_cast<double>(cfg_.ocsp.validity_s) * cfg_.ocsp.resign_fraction);
  std::vector<store::CertRecord> due;
  size_t refreshed = 0;
  auto flush = [&]() -> Result<void> {
    if (due.empty()) return {};
    Result<void> ok = publisher_.PublishBatch(due, now);
    if (!ok) return ok;
    for (store::CertRecord& r : due) {
      r.updated_at = now;
      Remember(r);
    }
    refreshed += due.size();
    due.clear();
    return {};
  };
  for (const auto& [ca, serials] : known_) {
    if (publisher_.FindCa(ca) == nullptr) continue;  // a CA no longer configured
    for (const auto& [serial, k] : serials) {
      if (now - k.updated_at < resign_after) continue;
      // Re-read the record: the poller keeps only what it decides on.
      Result<std::optional<store::CertRecord>> r = store_.GetRecord(ca, serial);
      if (!r) return Fail(r.error());
      if (!r->has_value()) continue;
      if (now - (*r)->updated_at < resign_after) continue;  // someone refreshed it already
      due.push_back(std::move(**r));
      if (due.size() >= kPublishBatch) {
        Result<void> ok = flush();
        if (!ok) return Fail(ok.error());
      }
    }
  }
  Result<void> ok = flush();
  if (!ok) return Fail(ok.error());
  return refreshed;
}

Result<PassStats> Poller::RunPass(int64_t now) {
  PassStats stats;
  Result<void> ok = loaded_ ? FollowChangeLog() : LoadAll();
  if (!ok) return Fail(ok.error());
  for (const config::CaConfig& ca : cfg_.cas) {
    if (!ca.index.empty()) stats.source_changes += ApplyIndex(ca, now, &stats);
  }
  Result<size_t> refreshed = RefreshAged(now);
  if (!refreshed) return Fail(refreshed.error());
  stats.refreshed = *refreshed;
  for (const auto& [ca, serials] : known_) stats.records += serials.size();
  return stats;
}

}  // namespace keyward::poller
