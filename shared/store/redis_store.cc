// RedisStore: the StoreWriter on Redis (schema in docs/store.md). Every write
// is one Lua script, so a responder never sees a record without its responses,
// a generation without its change-log entry, or a message before the data.
#include <algorithm>
#include <charconv>
#include <mutex>
#include <unordered_set>

#include "shared/store/change_log.h"
#include "shared/store/record_fields.h"
#include "shared/store/redis_connection.h"
#include "shared/store/store.h"

namespace keyward::store {
namespace {

// KEYS[1] record hash, KEYS[2] generation counter, KEYS[3] change log,
// KEYS[4] the certificate's response bucket, KEYS[5] the device index when
// the record names a device.
// ARGV[1] channel, ARGV[2] ca, ARGV[3] serial, ARGV[4] change-log length,
// ARGV[5] n = number of record field/value pairs, ARGV[6 .. 5+2n] the pairs,
// ARGV[6+2n] m = number of responses, then m field/blob pairs for the bucket,
// and last "1" when KEYS[5] is a device index ("0" otherwise).
// The generation is formatted with %d: Lua 5.1 would print large numbers in
// exponent form, which ParseInvalidation rightly rejects.
constexpr std::string_view kApplyScript = R"lua(
local n = tonumber(ARGV[5])
local fields = {}
for i = 1, 2 * n do fields[i] = ARGV[5 + i] end
redis.call('HSET', KEYS[1], unpack(fields))
if ARGV[#ARGV] == '1' then
  redis.call('SADD', KEYS[5], ARGV[2] .. ' ' .. ARGV[3])
end
local m = tonumber(ARGV[6 + 2 * n])
if m > 0 then
  local blobs = {}
  for i = 1, 2 * m do blobs[i] = ARGV[6 + 2 * n + i] end
  redis.call('HSET', KEYS[4], unpack(blobs))
end
local gen = string.format('%d', redis.call('INCR', KEYS[2]))
local text = gen .. ' ' .. ARGV[2] .. ' ' .. ARGV[3]
redis.call('ZADD', KEYS[3], gen, text)
redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -(tonumber(ARGV[4]) + 1))
redis.call('PUBLISH', ARGV[1], text)
return tonumber(gen)
)lua";

// Pipelined writes go in batches this big: large enough to amortise round
// trips, small enough that one batch's replies stay a few hundred KiB.
constexpr size_t kBatchSize = 1000;
constexpr std::string_view kScanCount = "1000";

// ApplyCall owns the words of one EVALSHA / EVAL call.
struct ApplyCall {
  std::vector<std::string> words;  // everything after "EVALSHA sha"
  RedisArgs Args(std::string_view verb, std::string_view script) const {
    RedisArgs args{verb, script};
    for (const std::string& w : words) args.push_back(w);
    return args;
  }
};

ApplyCall BuildApplyCall(const Keys& keys, const CertUpdate& update) {
  const CertRecord& rec = update.record;
  ApplyCall call;
  std::vector<std::string>& w = call.words;
  const bool indexed = !rec.device_id.empty();
  w.push_back(indexed ? "5" : "4");  // numkeys
  w.push_back(keys.Cert(rec.ca, rec.serial_hex));
  w.push_back(keys.Generation());
  w.push_back(keys.ChangeLog());
  w.push_back(keys.ResponseHash(rec.ca, rec.serial_hex));
  if (indexed) w.push_back(keys.Device(rec.device_id));
  w.push_back(keys.Channel());
  w.push_back(rec.ca);
  w.push_back(rec.serial_hex);
  w.push_back(std::to_string(kChangeLogLength));
  std::vector<std::pair<std::string_view, std::string>> fields = RecordToFields(rec);
  w.push_back(std::to_string(fields.size()));
  for (auto& [name, value] : fields) {
    w.emplace_back(name);
    w.push_back(std::move(value));
  }
  w.push_back(std::to_string(update.responses.size()));
  for (const auto& [alg, response] : update.responses) {
    w.push_back(ResponseField(alg, rec.serial_hex));
    w.push_back(EncodeResponseBlob(response));
  }
  w.push_back(indexed ? "1" : "0");
  return call;
}

// RecordFromReply: an HGETALL reply; nullopt for an empty hash (no record).
Result<std::optional<CertRecord>> RecordFromReply(const redisReply* r, std::string_view key) {
  if (r->type != REDIS_REPLY_ARRAY) {
    return Fail(std::string(key) + ": HGETALL answered " + ReplyText(r));
  }
  if (r->elements == 0) return std::optional<CertRecord>();
  std::vector<std::pair<std::string_view, std::string_view>> fields;
  fields.reserve(r->elements / 2);
  for (size_t i = 0; i + 1 < r->elements; i += 2) {
    fields.emplace_back(ReplyString(r->element[i]), ReplyString(r->element[i + 1]));
  }
  Result<CertRecord> rec = RecordFromFields(fields, key);
  if (!rec) return Fail(rec.error());
  return std::optional<CertRecord>(std::move(*rec));
}

bool ParseU64(std::string_view text, uint64_t* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

class RedisStore final : public StoreWriter {
 public:
  RedisStore(const config::StoreConfig& cfg, int timeout_ms)
      : keys_(cfg.key_prefix),
        conn_(cfg.endpoint, timeout_ms, [this](redisContext* ctx, std::string_view where) {
          return LoadScript(ctx, where);
        }) {}

  Result<void> Open() {
    std::lock_guard lock(mu_);
    return conn_.Connect();
  }

  Result<std::optional<CertRecord>> GetRecord(const std::string& ca,
                                              const std::string& serial_hex) override {
    const std::string key = keys_.Cert(ca, serial_hex);
    std::lock_guard lock(mu_);
    Result<RedisReplyPtr> reply = conn_.Command({"HGETALL", key});
    if (!reply) return Fail(reply.error());
    Result<std::optional<CertRecord>> rec = RecordFromReply(reply->get(), key);
    if (!rec) return Fail(conn_.where() + ": " + rec.error());
    return rec;
  }

  Result<std::optional<StoredResponse>> GetResponse(const std::string& ca, ocsp::HashAlg alg,
                                                    const std::string& serial_hex) override {
    const std::string key = keys_.ResponseHash(ca, serial_hex);
    const std::string field = ResponseField(alg, serial_hex);
    std::lock_guard lock(mu_);
    Result<RedisReplyPtr> reply = conn_.Command({"HGET", key, field});
    if (!reply) return Fail(reply.error());
    const redisReply* r = reply->get();
    if (r->type == REDIS_REPLY_NIL) return std::optional<StoredResponse>();
    std::optional<StoredResponse> decoded =
        r->type == REDIS_REPLY_STRING ? DecodeResponseBlob(ReplyString(r)) : std::nullopt;
    if (!decoded) {
      return Fail(conn_.where() + ": " + key + " " + field + ": not a response blob");
    }
    return decoded;
  }

  Result<uint64_t> Generation() override {
    std::lock_guard lock(mu_);
    Result<RedisReplyPtr> reply = conn_.Command({"GET", keys_.Generation()});
    if (!reply) return Fail(reply.error());
    return ParseGeneration(reply->get());
  }

  Result<ChangesSince> Changes(uint64_t since) override;
  Result<std::vector<CertRecord>> ListRecords(const std::string& ca) override;
  Result<std::vector<std::pair<std::string, std::string>>> DeviceCertificates(
      const std::string& device_id) override;

  Result<void> Ping() override {
    std::lock_guard lock(mu_);
    Result<RedisReplyPtr> reply = conn_.Command({"PING"});
    if (!reply) return Fail(reply.error());
    if (ReplyString(reply->get()) != "PONG") {
      return Fail(conn_.where() + ": PING answered " + ReplyText(reply->get()));
    }
    return {};
  }

  Result<uint64_t> Apply(const CertUpdate& update) override;
  Result<void> ApplyBatch(const std::vector<CertUpdate>& updates) override;

 private:
  Result<void> LoadScript(redisContext* ctx, std::string_view where) {
    Result<RedisReplyPtr> reply = RunCommand(ctx, {"SCRIPT", "LOAD", kApplyScript}, where);
    if (!reply) return Fail(reply.error());
    sha_.assign(ReplyString(reply->get()));
    if (sha_.empty()) return Fail(std::string(where) + ": SCRIPT LOAD returned no digest");
    return {};
  }

  Result<uint64_t> ParseGeneration(const redisReply* r) const {
    if (r->type == REDIS_REPLY_NIL) return uint64_t{0};
    uint64_t gen = 0;
    if (r->type != REDIS_REPLY_STRING || !ParseU64(ReplyString(r), &gen)) {
      return Fail(conn_.where() + ": " + keys_.Generation() + " is not a counter: " + ReplyText(r));
    }
    return gen;
  }

  Result<uint64_t> ApplyResult(const redisReply* r, const CertRecord& rec) const {
    if (r->type == REDIS_REPLY_INTEGER && r->integer > 0) return static_cast<uint64_t>(r->integer);
    return Fail(conn_.where() + ": applying " + rec.ca + "/" + rec.serial_hex + ": " +
                ReplyText(r));
  }

  Keys keys_;
  std::mutex mu_;  // one connection, shared by the threads of the issuer
  RedisConnection conn_;
  std::string sha_;  // of kApplyScript, from SCRIPT LOAD
};

Result<uint64_t> RedisStore::Apply(const CertUpdate& update) {
  ApplyCall call = BuildApplyCall(keys_, update);
  std::lock_guard lock(mu_);
  Result<RedisReplyPtr> reply = conn_.CommandAllowError(call.Args("EVALSHA", sha_));
  if (!reply) return Fail(reply.error());
  // NOSCRIPT: the script cache was flushed (SCRIPT FLUSH, or a restart the
  // reconnect did not see). EVAL runs the same script and caches it again.
  if (IsErrorReply(reply->get(), "NOSCRIPT")) {
    reply = conn_.CommandAllowError(call.Args("EVAL", kApplyScript));
    if (!reply) return Fail(reply.error());
  }
  return ApplyResult(reply->get(), update.record);
}

Result<void> RedisStore::ApplyBatch(const std::vector<CertUpdate>& updates) {
  for (size_t start = 0; start < updates.size(); start += kBatchSize) {
    const size_t end = std::min(updates.size(), start + kBatchSize);
    std::vector<ApplyCall> calls;
    calls.reserve(end - start);
    for (size_t i = start; i < end; ++i) calls.push_back(BuildApplyCall(keys_, updates[i]));

    std::lock_guard lock(mu_);
    std::vector<RedisArgs> commands;
    commands.reserve(calls.size());
    for (const ApplyCall& c : calls) commands.push_back(c.Args("EVALSHA", sha_));
    Result<std::vector<RedisReplyPtr>> replies = conn_.Pipeline(commands);
    if (!replies) return Fail(replies.error());

    // Replay the NOSCRIPT ones with EVAL, still in their original order.
    std::vector<size_t> again;
    for (size_t i = 0; i < replies->size(); ++i) {
      if (IsErrorReply((*replies)[i].get(), "NOSCRIPT")) again.push_back(i);
    }
    if (!again.empty()) {
      std::vector<RedisArgs> evals;
      for (size_t i : again) evals.push_back(calls[i].Args("EVAL", kApplyScript));
      Result<std::vector<RedisReplyPtr>> retried = conn_.Pipeline(evals);
      if (!retried) return Fail(retried.error());
      for (size_t k = 0; k < again.size(); ++k) (*replies)[again[k]] = std::move((*retried)[k]);
    }
    for (size_t i = 0; i < replies->size(); ++i) {
      Result<uint64_t> gen = ApplyResult((*replies)[i].get(), updates[start + i].record);
      if (!gen) return Fail(gen.error());
    }
  }
  return {};
}

Result<ChangesSince> RedisStore::Changes(uint64_t since) {
  const std::string gen_key = keys_.Generation();
  const std::string log_key = keys_.ChangeLog();
  const std::string min = "(" + std::to_string(since);
  std::lock_guard lock(mu_);
  // MULTI/EXEC: the counter, the oldest entry and the tail are read at one
  // instant, so no Apply can fall between them.
  Result<std::vector<RedisReplyPtr>> replies =
      conn_.Pipeline({{"MULTI"},
                      {"GET", gen_key},
                      {"ZRANGE", log_key, "0", "0", "WITHSCORES"},
                      {"ZRANGEBYSCORE", log_key, min, "+inf"},
                      {"EXEC"}});
  if (!replies) return Fail(replies.error());
  const redisReply* exec = replies->back().get();
  if (exec->type != REDIS_REPLY_ARRAY || exec->elements != 3) {
    return Fail(conn_.where() + ": reading the change log: " + ReplyText(exec));
  }
  Result<uint64_t> gen = ParseGeneration(exec->element[0]);
  if (!gen) return Fail(gen.error());
  ChangesSince out;
  out.generation = *gen;

  const redisReply* oldest = exec->element[1];
  uint64_t oldest_gen = 0;
  const bool log_empty = oldest->type != REDIS_REPLY_ARRAY || oldest->elements < 2;
  if (!log_empty && !ParseU64(ReplyString(oldest->element[1]), &oldest_gen)) {
    return Fail(conn_.where() + ": " + log_key + ": bad score " + ReplyText(oldest->element[1]));
  }
  const redisReply* tail = exec->element[2];
  if (tail->type == REDIS_REPLY_ARRAY) {
    out.changes.reserve(tail->elements);
    for (size_t i = 0; i < tail->elements; ++i) {
      std::optional<Invalidation> inv = ParseInvalidation(ReplyString(tail->element[i]));
      if (!inv) {
        return Fail(conn_.where() + ": " + log_key + ": bad entry " + ReplyText(tail->element[i]));
      }
      out.changes.push_back(std::move(*inv));
    }
  }
  out.truncated = ChangeLogTruncated(since, out.generation, log_empty, oldest_gen);
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> RedisStore::DeviceCertificates(
    const std::string& device_id) {
  std::lock_guard lock(mu_);
  Result<RedisReplyPtr> reply = conn_.Command({"SMEMBERS", keys_.Device(device_id)});
  if (!reply) return Fail(reply.error());
  const redisReply* r = reply->get();
  if (r->type != REDIS_REPLY_ARRAY)
    return Fail(conn_.where() + ": SMEMBERS answered " + ReplyText(r));
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i < r->elements; ++i) {
    std::string_view member = ReplyString(r->element[i]);
    size_t space = member.find(' ');
    if (space == std::string_view::npos) continue;
    out.emplace_back(std::string(member.substr(0, space)), std::string(member.substr(space + 1)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<CertRecord>> RedisStore::ListRecords(const std::string& ca) {
  const std::string pattern = keys_.CertPattern(ca);
  std::vector<CertRecord> records;
  std::unordered_set<std::string> seen;  // SCAN may return a key twice
  std::string cursor = "0";
  std::lock_guard lock(mu_);
  do {
    Result<RedisReplyPtr> scan =
        conn_.Command({"SCAN", cursor, "MATCH", pattern, "COUNT", kScanCount});
    if (!scan) return Fail(scan.error());
    const redisReply* r = scan->get();
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[1]->type != REDIS_REPLY_ARRAY) {
      return Fail(conn_.where() + ": SCAN answered " + ReplyText(r));
    }
    cursor.assign(ReplyString(r->element[0]));
    std::vector<std::string> batch;
    for (size_t i = 0; i < r->element[1]->elements; ++i) {
      std::string key(ReplyString(r->element[1]->element[i]));
      if (seen.insert(key).second) batch.push_back(std::move(key));
    }
    if (batch.empty()) continue;
    std::vector<RedisArgs> commands;
    commands.reserve(batch.size());
    for (const std::string& key : batch) commands.push_back({"HGETALL", key});
    Result<std::vector<RedisReplyPtr>> hashes = conn_.Pipeline(commands);
    if (!hashes) return Fail(hashes.error());
    for (size_t i = 0; i < batch.size(); ++i) {
      Result<std::optional<CertRecord>> rec = RecordFromReply((*hashes)[i].get(), batch[i]);
      if (!rec) return Fail(conn_.where() + ": " + rec.error());
      // Deleted since the SCAN, or a CA whose name only shares our prefix.
      if (!rec->has_value() || (!ca.empty() && (*rec)->ca != ca)) continue;
      records.push_back(std::move(**rec));
    }
  } while (cursor != "0");
  return records;
}

}  // namespace

Result<std::unique_ptr<StoreWriter>> ConnectRedis(const config::StoreConfig& cfg, int timeout_ms) {
  auto store = std::make_unique<RedisStore>(cfg, timeout_ms);
  if (Result<void> opened = store->Open(); !opened) return Fail(opened.error());
  return std::unique_ptr<StoreWriter>(std::move(store));
}

}  // namespace keyward::store
