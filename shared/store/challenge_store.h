#pragma once
// ChallengeStore: the SCEP issuer's own state in Redis, next to the
// certificate records:
//   {p}scep:otp:{sha256(challenge)}   STRING ca name, EX ttl   one-time challenge
//   {p}scep:pending:{id}              HASH PendingRequest       manual approval
//   {p}scep:pending                   SET of ids                for listing
//   {p}scep:issued:{ca}:{serial}      STRING certificate DER    for GetCert / CertPoll
//   {p}scep:txn:{ca}:{id}             STRING serial             a resent request's answer
// One-time challenges are stored only as SHA-256 hashes: they are 160-bit
// random strings, so a hash without salt cannot be reversed, and a Redis dump
// yields nothing usable. Consuming one is a single GETDEL: of two enrollments
// racing with one challenge, exactly one wins.
//
// Calls block; one ChallengeStore is one connection and is not thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/config/config.h"
#include "shared/result.h"
#include "shared/store/redis_connection.h"

namespace keyward::store {

enum class PendingState { kPending, kApproved, kRejected, kIssued };
std::string_view PendingStateName(PendingState s);  // "pending", "approved", ...
std::optional<PendingState> PendingStateFromName(std::string_view name);

struct PendingRequest {
  std::string id;  // PendingId(transaction_id)
  std::string ca;
  std::string transaction_id;  // as the client sent it
  std::string csr_der;
  std::string subject;  // the CSR's subject, RFC 2253
  std::string remote;   // client address
  int64_t requested_at = 0;
  PendingState state = PendingState::kPending;
  std::string note;        // who/why on approve or reject
  std::string serial_hex;  // once issued
};

// PendingId: a short stable id for a transaction (hex of SHA-256, 16 chars),
// what `keyward pending approve ID` takes.
std::string PendingId(std::string_view transaction_id);
// HashChallenge: hex SHA-256 of a challenge, the only form stored.
std::string HashChallenge(std::string_view challenge);

class ChallengeStore {
 public:
  explicit ChallengeStore(const config::StoreConfig& cfg, int timeout_ms = 2000);

  // CreateChallenge mints a random challenge for `ca`, valid `ttl_s`
  // seconds, stores its hash and returns the challenge (shown once).
  Result<std::string> CreateChallenge(const std::string& ca, int64_t ttl_s);
  // ConsumeChallenge deletes the challenge and returns the CA it was minted
  // for; nullopt when it never existed, expired or was used already.
  Result<std::optional<std::string>> ConsumeChallenge(std::string_view challenge);

  Result<void> PutPending(const PendingRequest& request, int64_t ttl_s);
  Result<std::optional<PendingRequest>> GetPending(const std::string& id);
  Result<std::vector<PendingRequest>> ListPending();
  // Transition moves a request from `from` to `to` atomically (a Lua
  // script), recording `note` and `serial_hex` when non-empty. False when the
  // request is absent or not in `from`.
  Result<bool> Transition(const std::string& id, PendingState from, PendingState to,
                          const std::string& note, const std::string& serial_hex = "");

  Result<void> PutIssued(const std::string& ca, const std::string& serial_hex,
                         const std::string& der, int64_t ttl_s);
  Result<std::optional<std::string>> GetIssued(const std::string& ca,
                                               const std::string& serial_hex);

  // PutTransaction / GetTransaction: the serial issued for a transaction
  // (PendingId), so that a client resending its request after a lost answer
  // gets the same certificate instead of a refusal (its one-time challenge is
  // spent) or a second certificate.
  Result<void> PutTransaction(const std::string& ca, const std::string& id,
                              const std::string& serial_hex, int64_t ttl_s);
  Result<std::optional<std::string>> GetTransaction(const std::string& ca, const std::string& id);
  // PutIssuedForTransaction is PutIssued and PutTransaction in one round
  // trip (pipelined), for the issuer's common path.
  Result<void> PutIssuedForTransaction(const std::string& ca, const std::string& serial_hex,
                                       const std::string& der, int64_t ttl_s, const std::string& id,
                                       int64_t txn_ttl_s);

  Result<void> Ping();

 private:
  std::string prefix_;
  RedisConnection conn_;
};

}  // namespace keyward::store
