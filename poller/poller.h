#pragma once
// Poller: keeps every precomputed response true and fresh. Each pass it
//  1. reads the store's change log, so it knows of records other processes
//     (`keyward issue/revoke`, the issuer) wrote since the last pass;
//  2. reads each CA's status source (an OpenSSL index.txt) and publishes every
//     certificate whose status there differs from the store;
//  3. re-signs every response that has passed resign_fraction of its validity.
// Device directories ([[directory]]) are a further pass, DirectoryPass, which
// uses this poller's view of the records (poller/directory_pass.h).
// Publishing goes through status::StatusPublisher, which writes and announces
// the change atomically. Blocking calls only: the poller runs no event loop.
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "shared/config/config.h"
#include "shared/ocsp/status.h"
#include "shared/result.h"
#include "shared/status/status_publisher.h"
#include "shared/store/store.h"

namespace keyward::poller {

struct PassStats {
  size_t records = 0;         // records known after the pass
  size_t source_changes = 0;  // published because a status source changed
  size_t refreshed = 0;       // re-signed because they aged
  size_t source_errors = 0;   // unreadable sources or lines (last state kept)
};

class Poller {
 public:
  // All references must outlive the poller.
  Poller(const config::Config& cfg, store::StoreWriter& store,
         const status::StatusPublisher& publisher);

  // RunPass does one pass at time `now` (injected so tests control age).
  Result<PassStats> RunPass(int64_t now);

  // What the poller remembers of each record, enough to decide without
  // reading the store again.
  struct Known {
    ocsp::CertStatus status = ocsp::CertStatus::kGood;
    ocsp::RevocationReason reason = ocsp::RevocationReason::kNone;
    int64_t revoked_at = 0;
    int64_t updated_at = 0;
    store::Source source = store::Source::kKeyward;
    std::string device_id;
  };
  struct CertRef {
    std::string ca;
    std::string serial_hex;
  };

  // For the directory pass (poller/directory_pass.h), on the poller's thread:
  // Sync brings what the poller knows up to date with the store's change
  // log; Find is the known state of one certificate (null when unknown);
  // Remember records a record just published; by_device lists, per device
  // ID, every certificate whose record names it.
  Result<void> Sync() { return loaded_ ? FollowChangeLog() : LoadAll(); }
  const Known* Find(const std::string& ca, const std::string& serial_hex) const;
  void Remember(const store::CertRecord& r);
  const std::unordered_map<std::string, std::vector<CertRef>>& by_device() const {
    return by_device_;
  }

 private:
  struct IndexFileState {
    int64_t mtime_ns = -1;
    int64_t size = -1;
  };

  Result<void> LoadAll();
  Result<void> FollowChangeLog();
  size_t ApplyIndex(const config::CaConfig& ca, int64_t now, PassStats* stats);
  Result<size_t> RefreshAged(int64_t now);

  const config::Config& cfg_;
  store::StoreWriter& store_;
  const status::StatusPublisher& publisher_;
  bool loaded_ = false;
  uint64_t generation_ = 0;
  std::map<std::string, std::unordered_map<std::string, Known>> known_;  // ca -> serial -> state
  std::map<std::string, IndexFileState> index_files_;
  std::unordered_map<std::string, std::vector<CertRef>> by_device_;  // device ID -> certificates
};

}  // namespace keyward::poller
