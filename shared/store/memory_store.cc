// MemoryStore: the StoreWriter that unit tests use instead of Redis. Same
// keys, generation and change-log rules as the Redis store, under one mutex.
// It has no pub/sub: nothing is published, so a test that needs invalidation
// messages polls Changes(since) or runs against a real redis-server.
#include <algorithm>
#include <deque>
#include <map>
#include <mutex>
#include <set>

#include "shared/store/change_log.h"
#include "shared/store/store.h"

namespace keyward::store {
namespace {

class MemoryStore final : public StoreWriter {
 public:
  Result<std::optional<CertRecord>> GetRecord(const std::string& ca,
                                              const std::string& serial_hex) override {
    std::lock_guard lock(mu_);
    auto it = records_.find(keys_.Cert(ca, serial_hex));
    if (it == records_.end()) return std::optional<CertRecord>();
    return std::optional<CertRecord>(it->second);
  }

  Result<std::optional<StoredResponse>> GetResponse(const std::string& ca, ocsp::HashAlg alg,
                                                    const std::string& serial_hex) override {
    std::lock_guard lock(mu_);
    auto it = responses_.find(ResponseSlot(ca, alg, serial_hex));
    if (it == responses_.end()) return std::optional<StoredResponse>();
    // Stored encoded, as in Redis, so a layout bug shows up here as well.
    std::optional<StoredResponse> decoded = DecodeResponseBlob(it->second);
    if (!decoded) return Fail("memory store: " + it->first + ": not a response blob");
    return decoded;
  }

  Result<uint64_t> Generation() override {
    std::lock_guard lock(mu_);
    return generation_;
  }

  Result<ChangesSince> Changes(uint64_t since) override {
    std::lock_guard lock(mu_);
    ChangesSince out;
    out.generation = generation_;
    auto first = std::upper_bound(
        log_.begin(), log_.end(), since,
        [](uint64_t gen, const Invalidation& inv) { return gen < inv.generation; });
    out.changes.assign(first, log_.end());
    out.truncated = ChangeLogTruncated(since, generation_, log_.empty(),
                                       log_.empty() ? 0 : log_.front().generation);
    return out;
  }

  Result<std::vector<CertRecord>> ListRecords(const std::string& ca) override {
    std::lock_guard lock(mu_);
    std::vector<CertRecord> out;
    for (const auto& [key, rec] : records_) {
      if (ca.empty() || rec.ca == ca) out.push_back(rec);
    }
    return out;
  }

  Result<void> Ping() override { return {}; }

  Result<std::vector<std::pair<std::string, std::string>>> DeviceCertificates(
      const std::string& device_id) override {
    std::lock_guard lock(mu_);
    auto it = devices_.find(device_id);
    if (it == devices_.end()) return std::vector<std::pair<std::string, std::string>>();
    return std::vector<std::pair<std::string, std::string>>(it->second.begin(), it->second.end());
  }

  Result<uint64_t> Apply(const CertUpdate& update) override {
    const CertRecord& rec = update.record;
    std::lock_guard lock(mu_);
    records_[keys_.Cert(rec.ca, rec.serial_hex)] = rec;
    if (!rec.device_id.empty()) devices_[rec.device_id].emplace(rec.ca, rec.serial_hex);
    for (const auto& [alg, response] : update.responses) {
      responses_[ResponseSlot(rec.ca, alg, rec.serial_hex)] = EncodeResponseBlob(response);
    }
    ++generation_;
    log_.push_back(Invalidation{generation_, rec.ca, rec.serial_hex});
    while (log_.size() > static_cast<size_t>(kChangeLogLength)) log_.pop_front();
    return generation_;
  }

 private:
  // ResponseSlot: "bucket field", the Redis hash and field of one response.
  std::string ResponseSlot(std::string_view ca, ocsp::HashAlg alg,
                           std::string_view serial_hex) const {
    return keys_.ResponseHash(ca, serial_hex) + " " + ResponseField(alg, serial_hex);
  }

  Keys keys_;
  std::mutex mu_;
  std::map<std::string, CertRecord> records_;     // by Keys::Cert
  std::map<std::string, std::string> responses_;  // by "bucket field": encoded blobs
  uint64_t generation_ = 0;
  std::deque<Invalidation> log_;  // oldest first, at most kChangeLogLength
  std::map<std::string, std::set<std::pair<std::string, std::string>>> devices_;
};

}  // namespace

std::unique_ptr<StoreWriter> NewMemoryStore() { return std::make_unique<MemoryStore>(); }

}  // namespace keyward::store
