#include "responder/subscriber.h"

#include <spdlog/spdlog.h>

#include <charconv>

#include "shared/ocsp/cert_id.h"
#include "shared/status/status_publisher.h"
#include "shared/store/change_log.h"
#include "shared/store/record.h"

namespace keyward::responder {

// A refetch after an invalidation.
struct Subscriber::Refetch {
  uint64_t epoch = 0;
  int attempts = 0;
  std::vector<CacheKey> keys;
  std::string bucket;               // the certificate's response hash
  std::vector<std::string> fields;  // its fields, in the order of `keys`
};

namespace {

constexpr uint64_t kSweepMs = 10'000;

Subscriber* Owner(redisAsyncContext* c) {
  AsyncRedis* redis = static_cast<AsyncRedis*>(c->data);
  if (redis == nullptr) return nullptr;  // stopping
  return static_cast<Subscriber*>(redis->listener());
}

std::string_view Str(const redisReply* r) {
  if (r == nullptr || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS)) return {};
  return std::string_view(r->str, r->len);
}

bool ParseU64(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  auto res = std::from_chars(s.data(), s.data() + s.size(), *out);
  return res.ec == std::errc() && res.ptr == s.data() + s.size();
}

// RunId picks "run_id:<hex>" out of INFO server; "" if absent.
std::string RunId(std::string_view info) {
  constexpr std::string_view kField = "run_id:";
  size_t at = info.find(kField);
  if (at == std::string_view::npos) return {};
  size_t start = at + kField.size();
  size_t end = info.find_first_of("\r\n", start);
  return std::string(info.substr(start, end == std::string_view::npos ? end : end - start));
}

void* Tag(uint64_t id) { return reinterpret_cast<void*>(static_cast<uintptr_t>(id)); }
uint64_t Untag(void* p) { return reinterpret_cast<uintptr_t>(p); }

}  // namespace

Subscriber::Subscriber(Context& ctx, WarmOptions warm)
    : ctx_(ctx), warm_options_(std::move(warm)) {}

Subscriber::~Subscriber() {
  Stop();
  if (loop_open_) uv_loop_close(&loop_);
}

bool Subscriber::Start() {
  if (uv_loop_init(&loop_) != 0) return false;
  loop_open_ = true;
  if (uv_async_init(&loop_, &stop_async_, OnStop) != 0) return false;
  stop_async_.data = this;
  if (uv_async_init(&loop_, &warm_async_, OnWarmDone) != 0) return false;
  warm_async_.data = this;
  if (uv_timer_init(&loop_, &sweep_timer_) != 0) return false;
  sweep_timer_.data = this;
  if (uv_timer_start(&sweep_timer_, OnSweep, kSweepMs, kSweepMs) != 0) return false;
  if (uv_timer_init(&loop_, &retry_timer_) != 0) return false;
  retry_timer_.data = this;
  sub_ = std::make_unique<AsyncRedis>(&loop_, ctx_.store.endpoint, this, "subscriber");
  cmd_ = std::make_unique<AsyncRedis>(&loop_, ctx_.store.endpoint, this, "sync");
  sub_->Start();
  cmd_->Start();
  thread_ = std::thread([this] {
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_run(&loop_, UV_RUN_DEFAULT);
  });
  return true;
}

void Subscriber::Stop() {
  if (!thread_.joinable()) return;
  uv_async_send(&stop_async_);
  thread_.join();
}

void Subscriber::OnStop(uv_async_t* a) {
  Subscriber* self = static_cast<Subscriber*>(a->data);
  // Joins the warm-up's threads (cancelled, so at once) before the handle
  // they signal is closed.
  self->warm_.reset();
  uv_close(reinterpret_cast<uv_handle_t*>(&self->stop_async_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&self->warm_async_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&self->sweep_timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&self->retry_timer_), nullptr);
  self->sub_->Stop();
  self->cmd_->Stop();
}

void Subscriber::OnSweep(uv_timer_t* t) {
  Subscriber* self = static_cast<Subscriber*>(t->data);
  // Past nextUpdate an answer is useless to clients; drop it so a miss asks
  // Redis (where the re-signed answer lives) instead.
  size_t n = self->ctx_.cache.DropExpired(self->ctx_.clock->NowSeconds());
  self->ctx_.metrics.expired_dropped.fetch_add(n, std::memory_order_relaxed);
}

void Subscriber::Untrust() {
  if (ctx_.trusted.exchange(false)) spdlog::warn("cache untrusted until resynchronised");
  ctx_.metrics.subscriber_connected.store(false);
  syncing_ = false;
  ++sync_id_;
  pending_max_gen_ = 0;
  // Its threads stop at once; StartWarm or OnWarmDone collects them.
  if (warm_) warm_->Cancel();
}

void Subscriber::SyncFailed(const char* why) {
  spdlog::warn("resync: {}; retrying in {} ms", why, kRetryMs);
  syncing_ = false;
  ++sync_id_;  // whatever this sync still has in flight is void
  if (uv_timer_start(&retry_timer_, OnRetry, kRetryMs, 0) != 0) {
    spdlog::error("resync: uv_timer_start failed");
  }
}

void Subscriber::OnRetry(uv_timer_t* t) { static_cast<Subscriber*>(t->data)->MaybeSync(); }

void Subscriber::OnRedisReady(AsyncRedis& redis) {
  if (&redis == sub_.get()) {
    std::string channel = ctx_.keys.Channel();
    const char* argv[] = {"SUBSCRIBE", channel.c_str()};
    size_t lens[] = {9, channel.size()};
    if (!redis.Command(OnMessage, this, 2, argv, lens)) {
      spdlog::error("redis subscriber: SUBSCRIBE refused");
    }
    return;
  }
  MaybeSync();
}

void Subscriber::OnRedisLost(AsyncRedis& redis) {
  if (&redis == sub_.get()) subscribed_ = false;
  Untrust();
}

void Subscriber::OnMessage(redisAsyncContext* c, void* r, void*) {
  Subscriber* self = Owner(c);
  redisReply* reply = static_cast<redisReply*>(r);
  if (self == nullptr || reply == nullptr || reply->type != REDIS_REPLY_ARRAY ||
      reply->elements < 3) {
    return;
  }
  std::string_view kind = Str(reply->element[0]);
  if (kind == "subscribe") {
    self->subscribed_ = true;
    self->MaybeSync();
    return;
  }
  if (kind != "message") return;
  std::optional<store::Invalidation> inv = store::ParseInvalidation(Str(reply->element[2]));
  if (!inv) {
    spdlog::warn("invalidation: unreadable message");
    return;
  }
  self->ApplyInvalidation(*inv);
}

void Subscriber::MaybeSync() {
  if (!subscribed_ || !cmd_->ready() || syncing_) return;
  syncing_ = true;
  uint64_t id = ++sync_id_;
  std::string gen_key = ctx_.keys.Generation();
  std::string log_key = ctx_.keys.ChangeLog();
  // Built by append: GCC 12 warns falsely (-Wrestrict) on "(" + to_string().
  std::string min = "(";
  min.append(std::to_string(last_gen_));
  // One MULTI/EXEC, so the counter and the log are read at one instant (the
  // same reading as store::StoreReader::Changes).
  const char* multi[] = {"MULTI"};
  size_t multi_len[] = {5};
  const char* get[] = {"GET", gen_key.c_str()};
  size_t get_len[] = {3, gen_key.size()};
  const char* oldest[] = {"ZRANGE", log_key.c_str(), "0", "0", "WITHSCORES"};
  size_t oldest_len[] = {6, log_key.size(), 1, 1, 10};
  const char* tail[] = {"ZRANGEBYSCORE", log_key.c_str(), min.c_str(), "+inf"};
  size_t tail_len[] = {13, log_key.size(), min.size(), 4};
  const char* info[] = {"INFO", "server"};
  size_t info_len[] = {4, 6};
  const char* exec[] = {"EXEC"};
  size_t exec_len[] = {4};
  bool ok = cmd_->Command(nullptr, nullptr, 1, multi, multi_len) &&
            cmd_->Command(nullptr, nullptr, 2, get, get_len) &&
            cmd_->Command(nullptr, nullptr, 5, oldest, oldest_len) &&
            cmd_->Command(nullptr, nullptr, 4, tail, tail_len) &&
            cmd_->Command(nullptr, nullptr, 2, info, info_len) &&
            cmd_->Command(OnSyncReply, Tag(id), 1, exec, exec_len);
  if (!ok) {
    spdlog::warn("resync: could not queue commands");
    syncing_ = false;
  }
}

void Subscriber::OnSyncReply(redisAsyncContext* c, void* r, void* privdata) {
  Subscriber* self = Owner(c);
  if (self == nullptr || Untag(privdata) != self->sync_id_) return;
  redisReply* reply = static_cast<redisReply*>(r);
  if (reply == nullptr) return;  // connection lost: the reconnect starts over
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 4) {
    self->SyncFailed("unexpected reply");
    return;
  }
  self->HandleSync(reply);
}

void Subscriber::HandleSync(redisReply* exec) {
  uint64_t gen = 0;
  if (exec->element[0]->type != REDIS_REPLY_NIL && !ParseU64(Str(exec->element[0]), &gen)) {
    SyncFailed("bad generation");
    return;
  }
  target_gen_ = gen;
  std::string run_id = RunId(Str(exec->element[3]));
  if (!synced_once_) {
    run_id_ = run_id;
    spdlog::info("warming the cache at generation {}", gen);
    StartWarm();
    return;
  }
  const redisReply* oldest = exec->element[1];
  bool log_empty = oldest->type != REDIS_REPLY_ARRAY || oldest->elements < 2;
  uint64_t oldest_gen = 0;
  if (!log_empty) (void)ParseU64(Str(oldest->element[1]), &oldest_gen);
  ctx_.metrics.resyncs.fetch_add(1, std::memory_order_relaxed);
  // A different Redis process (restarted, failed over) may hold a data set
  // whose generation merely caught up with ours: equal numbers, different
  // history. Only a replay against the same server is sound.
  bool same_server = run_id == run_id_;
  bool truncated = store::ChangeLogTruncated(last_gen_, gen, log_empty, oldest_gen);
  if (!same_server || truncated) {
    // Too much was missed, or this is another data set: nothing cached can
    // be vouched for. Reload it all.
    if (!same_server) {
      spdlog::warn("redis server changed (run_id {}, generation {} -> {}): reloading", run_id,
                   last_gen_, gen);
    } else {
      spdlog::warn("change log does not reach generation {} (now {}): reloading", last_gen_, gen);
    }
    ctx_.metrics.full_reloads.fetch_add(1, std::memory_order_relaxed);
    last_gen_ = 0;
    run_id_ = run_id;
    StartWarm();
    return;
  }
  const redisReply* tail = exec->element[2];
  size_t replayed = 0;
  if (tail->type == REDIS_REPLY_ARRAY) {
    for (size_t i = 0; i < tail->elements; ++i) {
      std::optional<store::Invalidation> inv = store::ParseInvalidation(Str(tail->element[i]));
      if (inv) {
        ApplyInvalidation(*inv);
        ++replayed;
      }
    }
  }
  spdlog::info("resynchronised from generation {} to {} ({} changes)", last_gen_, gen, replayed);
  SyncDone();
}

void Subscriber::StartWarm() {
  // An earlier warm-up (cancelled by a disconnect) is joined first; then
  // everything cached so far is dropped and every fetch issued before is
  // refused. That covers what the epoch marks cannot: a value read before a
  // change whose message was lost in the disconnect, landing after the new
  // warm-up has stored the current one.
  warm_.reset();
  ctx_.cache.InvalidateAll();
  warm_sync_id_ = sync_id_;
  warm_started_us_ = ctx_.clock->MonotonicMicros();
  warm_ = std::make_unique<WarmUp>(ctx_, warm_options_, [this] { uv_async_send(&warm_async_); });
  warm_->Start();
}

void Subscriber::OnWarmDone(uv_async_t* a) {
  Subscriber* self = static_cast<Subscriber*>(a->data);
  if (!self->warm_ || !self->warm_->done()) return;
  WarmStats stats = self->warm_->stats();
  self->warm_.reset();
  if (self->warm_sync_id_ != self->sync_id_ || !self->syncing_) return;  // superseded
  if (!stats.ok) {
    self->SyncFailed(("warm-up failed: " + stats.error).c_str());
    return;
  }
  uint64_t ms = (self->ctx_.clock->MonotonicMicros() - self->warm_started_us_) / 1000;
  uint64_t entries = self->ctx_.cache.size();
  self->ctx_.metrics.warm_entries.store(entries);
  self->ctx_.metrics.warm_ms.store(ms);
  spdlog::info(
      "cache warmed: {} responses in {} ms ({} buckets, {} refused as invalidated, {} skipped)",
      entries, ms, stats.buckets, stats.refused, stats.skipped);
  self->SyncDone();
}

void Subscriber::SyncDone() {
  synced_once_ = true;
  syncing_ = false;
  last_gen_ = std::max(last_gen_, std::max(target_gen_, pending_max_gen_));
  ctx_.metrics.generation.store(last_gen_);
  ctx_.metrics.subscriber_connected.store(true);
  ctx_.trusted.store(true, std::memory_order_release);
}

size_t Subscriber::InsertReplies(const std::vector<CacheKey>& keys, redisReply* reply,
                                 uint64_t epoch) {
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != keys.size()) return 0;
  size_t refused = 0;
  int64_t now = ctx_.clock->NowSeconds();
  for (size_t i = 0; i < keys.size(); ++i) {
    const redisReply* v = reply->element[i];
    if (v->type != REDIS_REPLY_STRING) continue;
    std::optional<store::StoredResponse> stored =
        DecodeBlobHeader(std::string_view(v->str, v->len));
    if (!stored || stored->next_update <= now) continue;
    EntryPtr e = CacheEntry::Create(keys[i], *stored, BlobDer(std::string_view(v->str, v->len)),
                                    EntryKind::kPrecomputed, stored->next_update,
                                    ctx_.SharedTail(keys[i].ca));
    if (e && !ctx_.cache.Insert(std::move(e), epoch)) ++refused;
  }
  return refused;
}

void Subscriber::ApplyInvalidation(const store::Invalidation& inv) {
  if (ctx_.trusted.load()) {
    last_gen_ = std::max(last_gen_, inv.generation);
    ctx_.metrics.generation.store(last_gen_);
  } else {
    // Not yet in sync: this message counts only once the sync completes.
    pending_max_gen_ = std::max(pending_max_gen_, inv.generation);
  }
  ctx_.metrics.invalidations.fetch_add(1, std::memory_order_relaxed);
  int ca = ctx_.FindCaIndex(inv.ca);
  if (ca < 0) return;  // a CA this responder does not serve
  CacheKey probe;
  if (!MakeKeyFromHex(static_cast<uint16_t>(ca), ocsp::HashAlg::kSha1, inv.serial_hex, &probe)) {
    return;
  }
  // Drop every variant (SHA-1, SHA-256, negative) at once, then refetch.
  ctx_.cache.Invalidate(static_cast<uint16_t>(ca), probe.serial_bytes());
  auto refetch = std::make_unique<Refetch>();
  refetch->bucket = ctx_.keys.ResponseHash(inv.ca, inv.serial_hex);
  for (ocsp::HashAlg alg : status::kPrecomputedAlgs) {
    CacheKey key = probe;
    key.alg = static_cast<uint8_t>(alg);
    refetch->keys.push_back(key);
    refetch->fields.push_back(store::ResponseField(alg, inv.serial_hex));
  }
  SendRefetch(std::move(refetch));
}

void Subscriber::SendRefetch(std::unique_ptr<Refetch> refetch) {
  if (!cmd_->ready()) return;  // the miss path fetches on demand
  // Read before the HMGET goes out: the stale-insert guard.
  refetch->epoch = ctx_.cache.Epoch();
  ++refetch->attempts;
  std::vector<const char*> argv{"HMGET", refetch->bucket.c_str()};
  std::vector<size_t> lens{5, refetch->bucket.size()};
  for (const std::string& n : refetch->fields) {
    argv.push_back(n.c_str());
    lens.push_back(n.size());
  }
  if (cmd_->Command(OnRefetchReply, refetch.get(), static_cast<int>(argv.size()), argv.data(),
                    lens.data())) {
    refetch.release();  // owned by the callback now
  }
}

void Subscriber::OnRefetchReply(redisAsyncContext* c, void* r, void* privdata) {
  std::unique_ptr<Refetch> refetch(static_cast<Refetch*>(privdata));
  Subscriber* self = Owner(c);
  if (self == nullptr || r == nullptr) return;
  size_t refused = self->InsertReplies(refetch->keys, static_cast<redisReply*>(r), refetch->epoch);
  // Refused: another invalidation marked the same slot of the mark table
  // since (maybe another certificate's), so read again, as the miss path
  // does, rather than leave the entry to the miss path.
  if (refused > 0 && refetch->attempts < kRefetchAttempts) self->SendRefetch(std::move(refetch));
}

}  // namespace keyward::responder
