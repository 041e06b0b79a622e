#pragma once
// StoreReader / StoreWriter: the shared store as the domain sees it. The
// responder holds a reader; the issuer, poller and CLI hold a writer. Calls
// block: use them off any event loop (the responder's loops talk to Redis
// through hiredis' async API instead). An in-memory store stands in for Redis
// in unit tests.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "shared/config/config.h"
#include "shared/ocsp/cert_id.h"
#include "shared/result.h"
#include "shared/store/keys.h"
#include "shared/store/record.h"

namespace keyward::store {

// CertUpdate: one record and its freshly signed responses, applied at once.
struct CertUpdate {
  CertRecord record;
  std::vector<std::pair<ocsp::HashAlg, StoredResponse>> responses;
};

struct ChangesSince {
  std::vector<Invalidation> changes;  // in generation order
  // True when the log no longer reaches back to the generation asked for:
  // the caller must reload everything.
  bool truncated = false;
  uint64_t generation = 0;  // current generation
};

class StoreReader {
 public:
  virtual ~StoreReader() = default;
  virtual Result<std::optional<CertRecord>> GetRecord(const std::string& ca,
                                                      const std::string& serial_hex) = 0;
  virtual Result<std::optional<StoredResponse>> GetResponse(const std::string& ca,
                                                            ocsp::HashAlg alg,
                                                            const std::string& serial_hex) = 0;
  virtual Result<uint64_t> Generation() = 0;
  virtual Result<ChangesSince> Changes(uint64_t since_generation) = 0;
  // ListRecords: every record of `ca` (all CAs when empty). For the poller and
  // `keyward` listing; streams in batches internally.
  virtual Result<std::vector<CertRecord>> ListRecords(const std::string& ca) = 0;
  virtual Result<void> Ping() = 0;
  // DeviceCertificates: (ca, serial) of every certificate whose record names
  // `device_id`, from the device index Apply keeps.
  virtual Result<std::vector<std::pair<std::string, std::string>>> DeviceCertificates(
      const std::string& device_id) = 0;
};

class StoreWriter : public StoreReader {
 public:
  // Apply writes the record and its responses, bumps the generation, appends
  // to the change log, adds the certificate to its device's index (when the
  // record has a device_id) and publishes the invalidation, atomically (one
  // Lua script in Redis). Returns the new generation.
  virtual Result<uint64_t> Apply(const CertUpdate& update) = 0;
  // ApplyBatch: several updates pipelined; each is atomic on its own.
  virtual Result<void> ApplyBatch(const std::vector<CertUpdate>& updates);
};

// ConnectRedis opens a blocking hiredis connection (AUTH and SELECT done).
// Errors name the endpoint.
Result<std::unique_ptr<StoreWriter>> ConnectRedis(const config::StoreConfig& cfg,
                                                  int timeout_ms = 2000);
// NewMemoryStore: the in-memory store for tests (thread-safe).
std::unique_ptr<StoreWriter> NewMemoryStore();

}  // namespace keyward::store
