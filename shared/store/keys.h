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
//   {p}resp:{ca}:{alg}:{serial}     STRING StoredResponse blob
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
  std::string Response(std::string_view ca, ocsp::HashAlg alg, std::string_view serial) const;
  std::string ResponsePattern() const;  // for SCAN over every response
  std::string Device(std::string_view device_id) const;

 private:
  std::string p_;
};

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
