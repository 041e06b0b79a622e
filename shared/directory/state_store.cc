#include "shared/directory/state_store.h"

#include <algorithm>
#include <cstdlib>

namespace keyward::directory {
namespace {

constexpr size_t kFieldsPerCommand = 1000;
constexpr int kTimeoutMs = 5000;

int64_t ToInt(std::string_view s) { return std::strtoll(std::string(s).c_str(), nullptr, 10); }

}  // namespace

StateStore::StateStore(const config::StoreConfig& store, std::string directory)
    : conn_(store.endpoint, kTimeoutMs), prefix_(store.key_prefix), name_(std::move(directory)) {}

std::string StateStore::Key(const char* what) const {
  return prefix_ + "dir:" + name_ + ":" + what;
}

Result<StateMap> StateStore::Load() {
  const std::string key = Key("state");
  StateMap out;
  std::string cursor = "0";
  do {
    Result<store::RedisReplyPtr> r = conn_.Command({"HSCAN", key, cursor, "COUNT", "1000"});
    if (!r) return Fail(r.error());
    const redisReply* reply = r->get();
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[1]->type != REDIS_REPLY_ARRAY) {
      return Fail(conn_.where() + ": HSCAN " + key + ": unexpected reply");
    }
    cursor = std::string(store::ReplyString(reply->element[0]));
    const redisReply* items = reply->element[1];
    for (size_t i = 0; i + 1 < items->elements; i += 2) {
      std::optional<DeviceState> s = DeviceStateFromName(store::ReplyString(items->element[i + 1]));
      if (!s) continue;  // written by a newer version: ignore rather than guess
      out[std::string(store::ReplyString(items->element[i]))] = *s;
    }
  } while (cursor != "0");
  return out;
}

Result<void> StateStore::Save(const StateMap& before, const StateMap& after) {
  const std::string key = Key("state");
  std::vector<std::string> set;  // id, state, id, state...
  std::vector<std::string> del;
  for (const auto& [id, s] : after) {
    auto it = before.find(id);
    if (it != before.end() && it->second == s) continue;
    set.push_back(id);
    set.emplace_back(DeviceStateName(s));
  }
  for (const auto& [id, s] : before) {
    if (after.count(id) == 0) del.push_back(id);
  }
  std::vector<std::vector<std::string_view>> commands;
  for (size_t i = 0; i < set.size(); i += 2 * kFieldsPerCommand) {
    store::RedisArgs args{"HSET", key};
    for (size_t j = i; j < std::min(set.size(), i + 2 * kFieldsPerCommand); ++j) {
      args.push_back(set[j]);
    }
    commands.push_back(std::move(args));
  }
  for (size_t i = 0; i < del.size(); i += kFieldsPerCommand) {
    store::RedisArgs args{"HDEL", key};
    for (size_t j = i; j < std::min(del.size(), i + kFieldsPerCommand); ++j) args.push_back(del[j]);
    commands.push_back(std::move(args));
  }
  if (commands.empty()) return {};
  Result<std::vector<store::RedisReplyPtr>> replies = conn_.Pipeline(commands);
  if (!replies) return Fail(replies.error());
  for (const store::RedisReplyPtr& r : *replies) {
    if (store::IsErrorReply(r.get())) return Fail(conn_.where() + ": " + store::ReplyText(r.get()));
  }
  return {};
}

Result<std::optional<HeldSync>> StateStore::GetHeld() {
  Result<store::RedisReplyPtr> r = conn_.Command({"HMGET", Key("held"), "count", "known", "at"});
  if (!r) return Fail(r.error());
  const redisReply* reply = r->get();
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
      reply->element[0]->type == REDIS_REPLY_NIL) {
    return std::optional<HeldSync>();
  }
  HeldSync h;
  h.count = ToInt(store::ReplyString(reply->element[0]));
  h.known = ToInt(store::ReplyString(reply->element[1]));
  h.at = ToInt(store::ReplyString(reply->element[2]));
  return std::optional<HeldSync>(h);
}

Result<void> StateStore::SetHeld(const HeldSync& held) {
  std::string count = std::to_string(held.count), known = std::to_string(held.known),
              at = std::to_string(held.at);
  Result<store::RedisReplyPtr> r =
      conn_.Command({"HSET", Key("held"), "count", count, "known", known, "at", at});
  if (!r) return Fail(r.error());
  return {};
}

Result<void> StateStore::ClearHeld() {
  Result<store::RedisReplyPtr> r = conn_.Command({"DEL", Key("held")});
  if (!r) return Fail(r.error());
  return {};
}

Result<void> StateStore::Confirm(int64_t now) {
  std::string at = std::to_string(now);
  Result<store::RedisReplyPtr> r = conn_.Command({"SET", Key("confirm"), at});
  if (!r) return Fail(r.error());
  return {};
}

Result<bool> StateStore::TakeConfirm() {
  Result<store::RedisReplyPtr> r = conn_.Command({"GETDEL", Key("confirm")});
  if (!r) return Fail(r.error());
  return r->get()->type == REDIS_REPLY_STRING;
}

Result<SyncRecord> StateStore::GetSync() {
  Result<store::RedisReplyPtr> r =
      conn_.Command({"HMGET", Key("sync"), "last_ok", "last_error_at", "last_error", "changes"});
  if (!r) return Fail(r.error());
  const redisReply* reply = r->get();
  SyncRecord s;
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 4) return s;
  s.last_ok = ToInt(store::ReplyString(reply->element[0]));
  s.last_error_at = ToInt(store::ReplyString(reply->element[1]));
  s.last_error = std::string(store::ReplyString(reply->element[2]));
  s.changes = ToInt(store::ReplyString(reply->element[3]));
  return s;
}

Result<void> StateStore::RecordOk(int64_t now, int64_t changes_added) {
  std::string at = std::to_string(now), added = std::to_string(changes_added);
  Result<std::vector<store::RedisReplyPtr>> r = conn_.Pipeline(
      {{"HSET", Key("sync"), "last_ok", at}, {"HINCRBY", Key("sync"), "changes", added}});
  if (!r) return Fail(r.error());
  return {};
}

Result<void> StateStore::RecordError(int64_t now, const std::string& error) {
  std::string at = std::to_string(now);
  Result<store::RedisReplyPtr> r =
      conn_.Command({"HSET", Key("sync"), "last_error_at", at, "last_error", error});
  if (!r) return Fail(r.error());
  return {};
}

}  // namespace keyward::directory
