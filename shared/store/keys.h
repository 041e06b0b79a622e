#pragma once
// Redis key names and the invalidation message format (docs/store.md).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "shared/ocsp/cert_id.h"

namespace keyward::store {

// Keys, with the configured prefix (default "kw:"):
//   {p}gen                          INCR'd once per change
//   {p}changes                      ZSET score=gen member="gen ca serial"
//   {p}cert:{ca}:{serial}           HASH CertRecord
//   {p}resp:{ca}:{bucket}           HASH field "{alg}:{serial}" = StoredResponse blob
//   {p}device:{id}                  SET of "ca serial": the device's certificates
//   {p}inval                        pub/sub channel, message "gen ca serial"
class Keys {
 public:
  explicit Keys(std::string prefix = "kw:") : p_(std::move(prefix)) {}
  const std::string& prefix() const { return p_; }
  std::string Generation() const { return p_ + "gen"; }
  std::string ChangeLog() const { return p_ + "changes"; }
  std::string Channel() const { return p_ + "inval"; }
  std::string Cert(std::string_view ca, std::string_view serial) const;
  std::string CertPattern(std::string_view ca) const;  // for SCAN
  // ResponseHash: the bucket hash that holds every response of (ca, serial).
  std::string ResponseHash(std::string_view ca, std::string_view serial) const;
  std::string ResponseBucket(std::string_view ca, uint32_t bucket) const;
  std::string Device(std::string_view device_id) const;

 private:
  std::string p_;
};

// Responses live in kResponseBuckets hashes per CA, chosen by a hash of the
// serial, so that a responder warms up by reading each bucket whole (HGETALL)
// instead of SCANning every key of the database: the walk of a whole keyspace
// was most of Redis's time in a warm-up. 16,384 keeps a bucket near a hundred
// fields at a million certificates (one HGETALL holds Redis well under a
// millisecond) and costs a small deployment only that many empty replies.
constexpr uint32_t kResponseBuckets = 16384;
// ResponseBucketOf: XXH64 (seed 0) of the SerialHex text, low 14 bits.
uint32_t ResponseBucketOf(std::string_view serial_hex);
// ResponseField: "{alg}:{serial}", the field of one response in its bucket.
std::string ResponseField(ocsp::HashAlg alg, std::string_view serial_hex);

// How many change-log entries are kept; a responder that missed more than
// this while disconnected reloads its whole cache.
constexpr int64_t kChangeLogLength = 100'000;

struct Invalidation {
  uint64_t generation = 0;
  std::string ca;
  std::string serial_hex;
};
std::string FormatInvalidation(const Invalidation& inv);
std::optional<Invalidation> ParseInvalidation(std::string_view text);

}  // namespace keyward::store
