#include "shared/store/challenge_store.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdio>

namespace keyward::store {
namespace {

constexpr char kTransitionScript[] =
    "if redis.call('HGET', KEYS[1], 'state') ~= ARGV[1] then return 0 end\n"
    "redis.call('HSET', KEYS[1], 'state', ARGV[2])\n"
    "if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'note', ARGV[3]) end\n"
    "if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'serial', ARGV[4]) end\n"
    "return 1\n";

std::string Hex(const unsigned char* data, size_t len) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (size_t i = 0; i < len; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 15];
  }
  return out;
}

std::string Sha256Hex(std::string_view text) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr) != 1) return "";
  return Hex(md, len);
}

std::optional<std::string> Field(const redisReply* hash, std::string_view name) {
  if (hash == nullptr || hash->type != REDIS_REPLY_ARRAY) return std::nullopt;
  for (size_t i = 0; i + 1 < hash->elements; i += 2) {
    if (ReplyString(hash->element[i]) == name)
      return std::string(ReplyString(hash->element[i + 1]));
  }
  return std::nullopt;
}

int64_t ToInt(const std::optional<std::string>& s) {
  if (!s) return 0;
  return std::strtoll(s->c_str(), nullptr, 10);
}

}  // namespace

std::string_view PendingStateName(PendingState s) {
  switch (s) {
    case PendingState::kPending:
      return "pending";
    case PendingState::kApproved:
      return "approved";
    case PendingState::kRejected:
      return "rejected";
    case PendingState::kIssued:
      return "issued";
  }
  return "pending";
}

std::optional<PendingState> PendingStateFromName(std::string_view name) {
  if (name == "pending") return PendingState::kPending;
  if (name == "approved") return PendingState::kApproved;
  if (name == "rejected") return PendingState::kRejected;
  if (name == "issued") return PendingState::kIssued;
  return std::nullopt;
}

std::string PendingId(std::string_view transaction_id) {
  return Sha256Hex(transaction_id).substr(0, 16);
}

std::string HashChallenge(std::string_view challenge) { return Sha256Hex(challenge); }

ChallengeStore::ChallengeStore(const config::StoreConfig& cfg, int timeout_ms)
    : prefix_(cfg.key_prefix), conn_(cfg.endpoint, timeout_ms) {}

Result<std::string> ChallengeStore::CreateChallenge(const std::string& ca, int64_t ttl_s) {
  if (ttl_s <= 0) return Fail("challenge lifetime must be positive");
  unsigned char raw[20];
  if (RAND_bytes(raw, sizeof(raw)) != 1) return Fail("no random bytes for a challenge");
  // Hex: PrintableString-safe for Windows and easy to paste into a profile.
  std::string challenge = Hex(raw, sizeof(raw));
  std::string key = prefix_ + "scep:otp:" + HashChallenge(challenge);
  std::string ttl = std::to_string(ttl_s);
  Result<RedisReplyPtr> r = conn_.Command({"SET", key, ca, "EX", ttl, "NX"});
  if (!r) return Fail(r.error());
  if ((*r)->type != REDIS_REPLY_STATUS) return Fail(conn_.where() + ": challenge already exists");
  return challenge;
}

Result<std::optional<std::string>> ChallengeStore::ConsumeChallenge(std::string_view challenge) {
  if (challenge.empty()) return std::optional<std::string>();
  std::string key = prefix_ + "scep:otp:" + HashChallenge(challenge);
  Result<RedisReplyPtr> r = conn_.Command({"GETDEL", key});
  if (!r) return Fail(r.error());
  if ((*r)->type == REDIS_REPLY_NIL) return std::optional<std::string>();
  return std::optional<std::string>(std::string(ReplyString(r->get())));
}

Result<void> ChallengeStore::PutPending(const PendingRequest& p, int64_t ttl_s) {
  std::string key = prefix_ + "scep:pending:" + p.id;
  std::string at = std::to_string(p.requested_at);
  std::string ttl = std::to_string(ttl_s);
  std::string set = prefix_ + "scep:pending";
  // RedisArgs borrow: every word must outlive the pipeline call.
  std::vector<RedisArgs> cmds = {
      {"HSET",
       key,
       "ca",
       p.ca,
       "transaction_id",
       p.transaction_id,
       "csr",
       p.csr_der,
       "subject",
       p.subject,
       "remote",
       p.remote,
       "requested_at",
       at,
       "state",
       PendingStateName(p.state),
       "note",
       p.note,
       "serial",
       p.serial_hex},
      {"EXPIRE", key, ttl},
      {"SADD", set, p.id},
  };
  Result<std::vector<RedisReplyPtr>> r = conn_.Pipeline(cmds);
  if (!r) return Fail(r.error());
  for (const RedisReplyPtr& reply : *r) {
    if (IsErrorReply(reply.get())) return Fail(conn_.where() + ": " + ReplyText(reply.get()));
  }
  return {};
}

Result<std::optional<PendingRequest>> ChallengeStore::GetPending(const std::string& id) {
  Result<RedisReplyPtr> r = conn_.Command({"HGETALL", prefix_ + "scep:pending:" + id});
  if (!r) return Fail(r.error());
  const redisReply* h = r->get();
  if (h->type != REDIS_REPLY_ARRAY || h->elements == 0) return std::optional<PendingRequest>();
  PendingRequest p;
  p.id = id;
  p.ca = Field(h, "ca").value_or("");
  p.transaction_id = Field(h, "transaction_id").value_or("");
  p.csr_der = Field(h, "csr").value_or("");
  p.subject = Field(h, "subject").value_or("");
  p.remote = Field(h, "remote").value_or("");
  p.requested_at = ToInt(Field(h, "requested_at"));
  p.state = PendingStateFromName(Field(h, "state").value_or("")).value_or(PendingState::kPending);
  p.note = Field(h, "note").value_or("");
  p.serial_hex = Field(h, "serial").value_or("");
  return std::optional<PendingRequest>(std::move(p));
}

Result<std::vector<PendingRequest>> ChallengeStore::ListPending() {
  std::string set = prefix_ + "scep:pending";
  Result<RedisReplyPtr> ids = conn_.Command({"SMEMBERS", set});
  if (!ids) return Fail(ids.error());
  std::vector<PendingRequest> out;
  const redisReply* arr = ids->get();
  for (size_t i = 0; arr->type == REDIS_REPLY_ARRAY && i < arr->elements; ++i) {
    std::string id(ReplyString(arr->element[i]));
    Result<std::optional<PendingRequest>> p = GetPending(id);
    if (!p) return Fail(p.error());
    if (!*p) {
      // Expired: its hash is gone, so the set entry goes too.
      Result<RedisReplyPtr> gone = conn_.Command({"SREM", set, id});
      if (!gone) return Fail(gone.error());
      continue;
    }
    out.push_back(std::move(**p));
  }
  return out;
}

Result<bool> ChallengeStore::Transition(const std::string& id, PendingState from, PendingState to,
                                        const std::string& note, const std::string& serial_hex) {
  std::string key = prefix_ + "scep:pending:" + id;
  Result<RedisReplyPtr> r =
      conn_.Command({"EVAL", kTransitionScript, "1", key, PendingStateName(from),
                     PendingStateName(to), note, serial_hex});
  if (!r) return Fail(r.error());
  return (*r)->type == REDIS_REPLY_INTEGER && (*r)->integer == 1;
}

Result<void> ChallengeStore::PutIssued(const std::string& ca, const std::string& serial_hex,
                                       const std::string& der, int64_t ttl_s) {
  std::string key = prefix_ + "scep:issued:" + ca + ":" + serial_hex;
  std::string ttl = std::to_string(ttl_s > 0 ? ttl_s : 1);
  Result<RedisReplyPtr> r = conn_.Command({"SET", key, der, "EX", ttl});
  if (!r) return Fail(r.error());
  return {};
}

Result<std::optional<std::string>> ChallengeStore::GetIssued(const std::string& ca,
                                                             const std::string& serial_hex) {
  Result<RedisReplyPtr> r =
      conn_.Command({"GET", prefix_ + "scep:issued:" + ca + ":" + serial_hex});
  if (!r) return Fail(r.error());
  if ((*r)->type == REDIS_REPLY_NIL) return std::optional<std::string>();
  return std::optional<std::string>(std::string(ReplyString(r->get())));
}

Result<void> ChallengeStore::PutTransaction(const std::string& ca, const std::string& id,
                                            const std::string& serial_hex, int64_t ttl_s) {
  std::string key = prefix_ + "scep:txn:" + ca + ":" + id;
  std::string ttl = std::to_string(ttl_s > 0 ? ttl_s : 1);
  Result<RedisReplyPtr> r = conn_.Command({"SET", key, serial_hex, "EX", ttl});
  if (!r) return Fail(r.error());
  return {};
}

Result<void> ChallengeStore::PutIssuedForTransaction(const std::string& ca,
                                                     const std::string& serial_hex,
                                                     const std::string& der, int64_t ttl_s,
                                                     const std::string& id, int64_t txn_ttl_s) {
  const std::string issued_key = prefix_ + "scep:issued:" + ca + ":" + serial_hex;
  const std::string issued_ttl = std::to_string(ttl_s > 0 ? ttl_s : 1);
  const std::string txn_key = prefix_ + "scep:txn:" + ca + ":" + id;
  const std::string txn_ttl = std::to_string(txn_ttl_s > 0 ? txn_ttl_s : 1);
  Result<std::vector<RedisReplyPtr>> r = conn_.Pipeline(
      {{"SET", issued_key, der, "EX", issued_ttl}, {"SET", txn_key, serial_hex, "EX", txn_ttl}});
  if (!r) return Fail(r.error());
  for (const RedisReplyPtr& reply : *r) {
    if (reply->type == REDIS_REPLY_ERROR) return Fail(std::string(ReplyString(reply.get())));
  }
  return {};
}

Result<std::optional<std::string>> ChallengeStore::GetTransaction(const std::string& ca,
                                                                  const std::string& id) {
  Result<RedisReplyPtr> r = conn_.Command({"GET", prefix_ + "scep:txn:" + ca + ":" + id});
  if (!r) return Fail(r.error());
  if ((*r)->type == REDIS_REPLY_NIL) return std::optional<std::string>();
  return std::optional<std::string>(std::string(ReplyString(r->get())));
}

Result<void> ChallengeStore::Ping() {
  Result<RedisReplyPtr> r = conn_.Command({"PING"});
  if (!r) return Fail(r.error());
  return {};
}

}  // namespace keyward::store
