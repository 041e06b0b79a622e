#include "responder/warm_up.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

#include "responder/warm_resp.h"
#include "shared/store/record.h"
#include "shared/store/redis_connection.h"

namespace keyward::responder {
namespace {

// Longer SCAN keys cannot be ours ({p}resp:{ca}:{alg}:{64 hex digits}).
constexpr size_t kMaxKeyBytes = 1024;
// Short, because a connect in progress is the one wait Cancel cannot cut.
constexpr int kConnectTimeoutMs = 2000;

bool ParseU64(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  auto res = std::from_chars(s.data(), s.data() + s.size(), *out);
  return res.ec == std::errc() && res.ptr == s.data() + s.size();
}

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

// StreamsFor: the number of SCAN streams (a power of two) for a database of
// `keys` keys.
uint64_t StreamsFor(const WarmOptions& o, uint64_t keys) {
  if (o.stream_bits >= 0) return uint64_t{1} << std::min(o.stream_bits, 16);
  uint64_t streams = 1;
  uint64_t per = std::max<uint64_t>(o.keys_per_stream, 1);
  while (streams < (uint64_t{1} << o.max_stream_bits) && keys / (streams * 2) >= per) streams *= 2;
  return streams;
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

bool ParseResponseKey(const Context& ctx, std::string_view key, CacheKey* out) {
  // {p}resp:{ca}:{alg}:{serial}; a CA name may hold ':', so split from the right.
  std::string_view head = std::string_view(ctx.keys.prefix());
  if (key.substr(0, head.size()) != head) return false;
  key.remove_prefix(head.size());
  if (key.substr(0, 5) != "resp:") return false;
  key.remove_prefix(5);
  size_t s = key.rfind(':');
  if (s == std::string_view::npos) return false;
  std::string_view serial = key.substr(s + 1);
  key = key.substr(0, s);
  size_t a = key.rfind(':');
  if (a == std::string_view::npos) return false;
  std::optional<ocsp::HashAlg> alg = ocsp::HashAlgFromName(key.substr(a + 1));
  if (!alg) return false;
  int ca = ctx.FindCaIndex(key.substr(0, a));
  if (ca < 0) return false;
  if (!MakeKeyFromHex(static_cast<uint16_t>(ca), *alg, serial, out)) return false;
  // SerialHex never keeps a leading 00 octet; an entry under such a key
  // would match no request and no invalidation.
  return out->serial_len == 1 || out->serial[0] != 0;
}

// Stream: one connection and the state of the SCAN stream it runs.
class WarmUp::Stream {
 public:
  Stream(WarmUp& owner, store::RedisContextPtr conn)
      : owner_(owner),
        where_(store::DescribeEndpoint(owner.ctx_.store.endpoint)),
        conn_(std::move(conn)),
        fd_(conn_->fd),
        reader_([fd = fd_](uint8_t* b, size_t n) { return RecvSome(fd, b, n); }) {}

  int fd() const { return fd_; }
  const std::string& error() const { return error_; }

  // DatabaseSize: DBSIZE, every key of the database (records included),
  // enough to size the split.
  std::optional<uint64_t> DatabaseSize() {
    Result<store::RedisReplyPtr> r = store::RunCommand(conn_.get(), {"DBSIZE"}, where_);
    if (!r) {
      error_ = r.error();  // already names the endpoint
      return std::nullopt;
    }
    return (*r)->type == REDIS_REPLY_INTEGER && (*r)->integer > 0
               ? static_cast<uint64_t>((*r)->integer)
               : 0;
  }

  // Run scans stream `p` of `count` to its end. False on any failure.
  //
  // Two commands stay queued in Redis: after each SCAN reply the next SCAN
  // and the MGET for that reply's keys go out together, and only then is the
  // previous MGET's reply read. Redis therefore works on this stream while we
  // parse, and runs each MGET right after walking its keys. Replies arrive
  // in the order sent: SCAN(c1), MGET(K0), SCAN(c2), MGET(K1), ...
  bool Run(uint64_t p, uint64_t count) {
    uint64_t mask = count - 1;
    out_.clear();
    AppendScan(p);
    if (!Send()) return false;
    bool pending = false;  // an MGET for fetch_keys_ is in flight
    uint64_t pending_epoch = 0;
    for (;;) {
      if (owner_.stop_.load(std::memory_order_relaxed)) return Broken("cancelled");
      uint64_t next = 0;
      if (!ReadScanReply(&next)) return false;
      // The cursor keeps the stream's low bits until the stream is done.
      bool more = next != 0 && (next & mask) == p;
      out_.clear();
      if (more) AppendScan(next);
      uint64_t epoch = 0;
      bool fetch = !scan_keys_.empty();
      if (fetch) {
        // Read before the MGET leaves: the stale-insert guard.
        epoch = owner_.ctx_.cache.Epoch();
        AppendArrayHeader(&out_, scan_keys_.size() + 1);
        AppendBulk(&out_, "MGET");
        out_.append(args_);
      }
      if (!out_.empty() && !Send()) return false;
      if (pending && !ReadValues(fetch_keys_, pending_epoch)) return false;
      std::swap(fetch_keys_, scan_keys_);
      pending = fetch;
      pending_epoch = epoch;
      if (!more) return !pending || ReadValues(fetch_keys_, pending_epoch);
    }
  }

 private:
  bool Broken(std::string_view what) {
    error_ = where_ + ": " + std::string(what);
    return false;
  }
  bool Check(RespReader::Result r, const char* what) {
    if (r == RespReader::Result::kOk) return true;
    if (r == RespReader::Result::kErrorReply) {
      return Broken(std::string(what) + ": " + reader_.error_text());
    }
    return Broken(std::string(what) + ": connection lost or unreadable reply");
  }

  void AppendScan(uint64_t cursor) {
    std::string c = std::to_string(cursor);
    std::string count = std::to_string(owner_.options_.scan_count);
    AppendCommand(&out_, {"SCAN", c, "MATCH", owner_.ctx_.keys.ResponsePattern(), "COUNT", count});
  }

  bool Send() {
    if (SendAll(fd_, out_)) return true;
    return Broken("send failed");
  }

  // ReadScanReply reads [cursor, [key...]] into *next, scan_keys_ and args_
  // (the same keys as MGET arguments).
  bool ReadScanReply(uint64_t* next) {
    scan_keys_.clear();
    args_.clear();
    int64_t n = 0;
    if (!Check(reader_.ReadArrayHeader(&n), "SCAN")) return false;
    if (n != 2) return Broken("SCAN: unexpected reply");
    RespReader::Bulk cursor;
    if (!Check(reader_.ReadBulk(20, &cursor), "SCAN")) return false;
    if (cursor.nil || cursor.skipped || !ParseU64(cursor.value, next)) {
      return Broken("SCAN: bad cursor");
    }
    int64_t count = 0;
    if (!Check(reader_.ReadArrayHeader(&count), "SCAN")) return false;
    for (int64_t i = 0; i < count; ++i) {
      RespReader::Bulk key;
      if (!Check(reader_.ReadBulk(kMaxKeyBytes, &key), "SCAN")) return false;
      if (key.nil || key.skipped) continue;
      CacheKey parsed;
      if (!ParseResponseKey(owner_.ctx_, key.value, &parsed)) continue;  // a CA we do not serve
      scan_keys_.push_back(parsed);
      AppendBulk(&args_, key.value);
    }
    return true;
  }

  // ReadValues reads the MGET reply for `keys` and inserts each blob.
  bool ReadValues(const std::vector<CacheKey>& keys, uint64_t epoch) {
    int64_t n = 0;
    if (!Check(reader_.ReadArrayHeader(&n), "MGET")) return false;
    if (n != static_cast<int64_t>(keys.size())) return Broken("MGET: unexpected reply");
    if (owner_.options_.before_insert) owner_.options_.before_insert();
    int64_t now = owner_.ctx_.clock->NowSeconds();
    uint64_t inserted = 0, refused = 0, skipped = 0;
    for (const CacheKey& key : keys) {
      RespReader::Bulk v;
      if (!Check(reader_.ReadBulk(owner_.options_.max_value_bytes, &v), "MGET")) return false;
      std::optional<store::StoredResponse> stored;
      if (!v.nil && !v.skipped) stored = DecodeBlobHeader(v.value);
      // Gone since the SCAN, unreadable, or stale: the miss path decides.
      if (!stored || stored->next_update <= now) {
        ++skipped;
        continue;
      }
      EntryPtr e = CacheEntry::Create(key, *stored, BlobDer(v.value), EntryKind::kPrecomputed,
                                      stored->next_update);
      if (!e) {
        ++skipped;
      } else if (owner_.ctx_.cache.Insert(std::move(e), epoch)) {
        ++inserted;
      } else {
        ++refused;
      }
    }
    owner_.inserted_.fetch_add(inserted, std::memory_order_relaxed);
    owner_.refused_.fetch_add(refused, std::memory_order_relaxed);
    owner_.skipped_.fetch_add(skipped, std::memory_order_relaxed);
    return true;
  }

  WarmUp& owner_;
  std::string where_;            // "redis host:port/db", the prefix of every error
  store::RedisContextPtr conn_;  // owns the socket; hiredis reads nothing after DBSIZE
  int fd_;
  RespReader reader_;
  std::string out_;
  std::string args_;
  std::vector<CacheKey> scan_keys_;   // from the last SCAN reply
  std::vector<CacheKey> fetch_keys_;  // of the MGET in flight
  std::string error_;
};

WarmUp::WarmUp(Context& ctx, WarmOptions options, std::function<void()> on_done)
    : ctx_(ctx), options_(std::move(options)), on_done_(std::move(on_done)) {
  options_.threads = std::max(options_.threads, 1);
  options_.scan_count = std::max(options_.scan_count, 1);
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
  s.streams = static_cast<uint32_t>(stream_count_);
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

void WarmUp::Work(Stream* stream) {
  for (;;) {
    if (stop_.load()) return;
    uint64_t p = next_stream_.fetch_add(1);
    if (p >= stream_count_) return;
    if (!stream->Run(p, stream_count_)) {
      Fail(stream->error());
      return;
    }
  }
}

void WarmUp::Run() {
  std::vector<std::thread> helpers;
  Result<store::RedisContextPtr> first = Connect(ctx_.store.endpoint, options_.timeout_ms);
  if (!first) {
    Fail(first.error());
  } else {
    Stream stream(*this, std::move(*first));
    // Registered before DBSIZE, so Cancel can cut that read short too.
    if (Register(stream.fd())) {
      std::optional<uint64_t> keys = stream.DatabaseSize();
      if (keys) {
        stream_count_ = StreamsFor(options_, *keys);
        uint64_t threads =
            std::min<uint64_t>(static_cast<uint64_t>(options_.threads), stream_count_);
        for (uint64_t i = 1; i < threads; ++i) helpers.emplace_back([this] { Helper(); });
        Work(&stream);
      } else {
        Fail(stream.error());
      }
      Unregister(stream.fd());
    }
  }
  for (std::thread& t : helpers) t.join();
  done_.store(true, std::memory_order_release);
  if (on_done_) on_done_();
}

void WarmUp::Helper() {
  Result<store::RedisContextPtr> conn = Connect(ctx_.store.endpoint, options_.timeout_ms);
  if (!conn) return Fail(conn.error());
  Stream stream(*this, std::move(*conn));
  if (!Register(stream.fd())) return;
  Work(&stream);
  Unregister(stream.fd());
}

}  // namespace keyward::responder
