#include "responder/warm_up.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "responder/warm_resp.h"
#include "shared/store/record.h"
#include "shared/store/redis_connection.h"

namespace keyward::responder {
namespace {

// Longer fields cannot be ours ("sha256:" and 64 hex digits).
constexpr size_t kMaxFieldBytes = 128;
// Short, because a connect in progress is the one wait Cancel cannot cut.
constexpr int kConnectTimeoutMs = 2000;

ssize_t RecvSome(int fd, uint8_t* buf, size_t len) {
  for (;;) {
    ssize_t n = recv(fd, buf, len, 0);
    if (n < 0 && errno == EINTR) continue;
    return n;
  }
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Connect opens one warm-up connection (AUTH and SELECT done) whose reads and
// writes time out after `timeout_ms`.
Result<store::RedisContextPtr> Connect(const config::RedisEndpoint& ep, int timeout_ms) {
  Result<store::RedisContextPtr> conn = store::ConnectBlocking(ep, kConnectTimeoutMs);
  if (!conn) return conn;
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  if (redisSetTimeout(conn->get(), tv) != REDIS_OK) {
    return Fail(store::DescribeEndpoint(ep) + ": cannot set the warm-up timeout");
  }
  return conn;
}

}  // namespace

bool ParseResponseField(uint16_t ca, std::string_view field, CacheKey* out) {
  size_t colon = field.find(':');
  if (colon == std::string_view::npos) return false;
  std::optional<ocsp::HashAlg> alg = ocsp::HashAlgFromName(field.substr(0, colon));
  if (!alg) return false;
  if (!MakeKeyFromHex(ca, *alg, field.substr(colon + 1), out)) return false;
  // SerialHex never keeps a leading 00 octet; an entry under such a field
  // would match no request and no invalidation.
  return out->serial_len == 1 || out->serial[0] != 0;
}

// Reader: one connection, and the batches of buckets it has in flight.
class WarmUp::Reader {
 public:
  Reader(WarmUp& owner, store::RedisContextPtr conn)
      : owner_(owner),
        where_(store::DescribeEndpoint(owner.ctx_.store.endpoint)),
        conn_(std::move(conn)),
        fd_(conn_->fd),
        reader_([fd = fd_](uint8_t* b, size_t n) { return RecvSome(fd, b, n); }) {}

  int fd() const { return fd_; }
  const std::string& error() const { return error_; }

  // Run reads batches until none is left. False on any failure.
  //
  // Two batches stay queued in Redis: the next batch goes out before the
  // previous one's replies are read, so Redis reads values while we parse.
  bool Run() {
    Batch pending;
    for (;;) {
      if (owner_.stop_.load(std::memory_order_relaxed)) return Broken("cancelled");
      Batch next;
      bool more = Take(&next);
      if (more) {
        // Read before the batch leaves: the stale-insert guard.
        next.epoch = owner_.ctx_.cache.Epoch();
        if (!Send(next)) return false;
      }
      if (pending.count > 0 && !ReadBatch(pending)) return false;
      if (!more) return true;
      pending = next;
    }
  }

 private:
  struct Batch {
    uint64_t first = 0;  // index over every (CA, bucket) pair
    uint64_t count = 0;
    uint64_t epoch = 0;
  };

  bool Take(Batch* batch) {
    uint64_t per = static_cast<uint64_t>(owner_.options_.buckets_per_batch);
    uint64_t first = owner_.next_bucket_.fetch_add(per);
    if (first >= owner_.bucket_count_) return false;
    batch->first = first;
    batch->count = std::min(per, owner_.bucket_count_ - first);
    return true;
  }

  static uint16_t CaOf(uint64_t index) {
    return static_cast<uint16_t>(index / store::kResponseBuckets);
  }

  bool Broken(std::string_view what) {
    error_ = where_ + ": " + std::string(what);
    return false;
  }
  bool Check(RespReader::Result r) {
    if (r == RespReader::Result::kOk) return true;
    if (r == RespReader::Result::kErrorReply) {
      return Broken("HGETALL: " + reader_.error_text());
    }
    return Broken("HGETALL: connection lost or unreadable reply");
  }

  bool Send(const Batch& batch) {
    out_.clear();
    const Context& ctx = owner_.ctx_;
    for (uint64_t i = batch.first; i < batch.first + batch.count; ++i) {
      std::string key = ctx.keys.ResponseBucket(ctx.cas[CaOf(i)].name,
                                                static_cast<uint32_t>(i % store::kResponseBuckets));
      AppendCommand(&out_, {"HGETALL", key});
    }
    if (SendAll(fd_, out_)) return true;
    return Broken("send failed");
  }

  // ReadBatch reads one HGETALL reply per bucket of `batch` and inserts
  // each blob.
  bool ReadBatch(const Batch& batch) {
    int64_t now = owner_.ctx_.clock->NowSeconds();
    uint64_t inserted = 0, refused = 0, skipped = 0;
    for (uint64_t i = batch.first; i < batch.first + batch.count; ++i) {
      int64_t n = 0;
      if (!Check(reader_.ReadArrayHeader(&n))) return false;
      if (n < 0 || n % 2 != 0) return Broken("HGETALL: unexpected reply");
      if (n > 0 && owner_.options_.before_insert) owner_.options_.before_insert();
      uint16_t ca = CaOf(i);
      for (int64_t f = 0; f < n / 2; ++f) {
        RespReader::Bulk field;
        if (!Check(reader_.ReadBulk(kMaxFieldBytes, &field))) return false;
        CacheKey key;
        bool ours = !field.nil && !field.skipped && ParseResponseField(ca, field.value, &key);
        RespReader::Bulk v;
        if (!Check(reader_.ReadBulk(ours ? owner_.options_.max_value_bytes : 0, &v))) {
          return false;
        }
        std::optional<store::StoredResponse> stored;
        if (ours && !v.nil && !v.skipped) stored = DecodeBlobHeader(v.value);
        // Unreadable, or stale: the miss path decides.
        if (!stored || stored->next_update <= now) {
          ++skipped;
          continue;
        }
        EntryPtr e = CacheEntry::Create(key, *stored, BlobDer(v.value), EntryKind::kPrecomputed,
                                        stored->next_update, owner_.ctx_.SharedTail(ca));
        if (!e) {
          ++skipped;
        } else if (owner_.ctx_.cache.Insert(std::move(e), batch.epoch)) {
          ++inserted;
        } else {
          ++refused;
        }
      }
    }
    owner_.inserted_.fetch_add(inserted, std::memory_order_relaxed);
    owner_.refused_.fetch_add(refused, std::memory_order_relaxed);
    owner_.skipped_.fetch_add(skipped, std::memory_order_relaxed);
    owner_.buckets_read_.fetch_add(batch.count, std::memory_order_relaxed);
    return true;
  }

  WarmUp& owner_;
  std::string where_;            // "redis host:port/db", the prefix of every error
  store::RedisContextPtr conn_;  // owns the socket; hiredis reads nothing on it
  int fd_;
  RespReader reader_;
  std::string out_;
  std::string error_;
};

WarmUp::WarmUp(Context& ctx, WarmOptions options, std::function<void()> on_done)
    : ctx_(ctx), options_(std::move(options)), on_done_(std::move(on_done)) {
  options_.threads = std::max(options_.threads, 1);
  options_.buckets_per_batch = std::max(options_.buckets_per_batch, 1);
  bucket_count_ = uint64_t{store::kResponseBuckets} * ctx_.cas.size();
}

WarmUp::~WarmUp() {
  Cancel();
  if (thread_.joinable()) thread_.join();
}

void WarmUp::Start() {
  thread_ = std::thread([this] { Run(); });
}

void WarmUp::Cancel() {
  stop_.store(true);
  std::lock_guard lock(mu_);
  for (int fd : fds_) shutdown(fd, SHUT_RDWR);
}

WarmStats WarmUp::stats() const {
  WarmStats s;
  std::lock_guard lock(mu_);
  s.error = error_;
  s.ok = error_.empty() && !stop_.load();
  if (s.error.empty() && !s.ok) s.error = "cancelled";
  s.inserted = inserted_.load();
  s.refused = refused_.load();
  s.skipped = skipped_.load();
  s.buckets = buckets_read_.load();
  return s;
}

void WarmUp::Fail(const std::string& error) {
  {
    std::lock_guard lock(mu_);
    if (error_.empty() && !stop_.load()) error_ = error;
  }
  Cancel();  // the other streams cannot make the warm-up good any more
}

bool WarmUp::Register(int fd) {
  std::lock_guard lock(mu_);
  // Checked under the lock Cancel takes: a connection made after Cancel is
  // never used.
  if (stop_.load()) return false;
  fds_.push_back(fd);
  return true;
}

void WarmUp::Unregister(int fd) {
  std::lock_guard lock(mu_);
  fds_.erase(std::remove(fds_.begin(), fds_.end(), fd), fds_.end());
}

void WarmUp::Work(Reader* reader) {
  if (!reader->Run()) Fail(reader->error());
}

void WarmUp::Run() {
  std::vector<std::thread> helpers;
  Result<store::RedisContextPtr> first = Connect(ctx_.store.endpoint, options_.timeout_ms);
  if (!first) {
    Fail(first.error());
  } else {
    Reader reader(*this, std::move(*first));
    if (Register(reader.fd())) {
      uint64_t batches = (bucket_count_ + static_cast<uint64_t>(options_.buckets_per_batch) - 1) /
                         static_cast<uint64_t>(options_.buckets_per_batch);
      uint64_t threads = std::min<uint64_t>(static_cast<uint64_t>(options_.threads), batches);
      for (uint64_t i = 1; i < threads; ++i) helpers.emplace_back([this] { Helper(); });
      Work(&reader);
      Unregister(reader.fd());
    }
  }
  for (std::thread& t : helpers) t.join();
  done_.store(true, std::memory_order_release);
  if (on_done_) on_done_();
}

void WarmUp::Helper() {
  Result<store::RedisContextPtr> conn = Connect(ctx_.store.endpoint, options_.timeout_ms);
  if (!conn) return Fail(conn.error());
  Reader reader(*this, std::move(*conn));
  if (!Register(reader.fd())) return;
  Work(&reader);
  Unregister(reader.fd());
}

}  // namespace keyward::responder
