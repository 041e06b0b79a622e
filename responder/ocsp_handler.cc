#include "responder/ocsp_handler.h"

#include <llhttp.h>

#include <string>
#include <string_view>

#include "responder/signer_pool.h"
#include "responder/worker.h"
#include "shared/ocsp/response_signer.h"
#include "shared/store/record.h"

namespace keyward::responder {
namespace {

constexpr int kMaxFetchAttempts = 3;

Outcome OutcomeOf(ocsp::CertStatus s) {
  switch (s) {
    case ocsp::CertStatus::kGood:
      return Outcome::kGood;
    case ocsp::CertStatus::kRevoked:
      return Outcome::kRevoked;
    default:
      return Outcome::kUnknown;
  }
}

Outcome OutcomeOf(ocsp::ResponseStatus s) {
  switch (s) {
    case ocsp::ResponseStatus::kMalformedRequest:
      return Outcome::kMalformed;
    case ocsp::ResponseStatus::kUnauthorized:
      return Outcome::kUnauthorized;
    case ocsp::ResponseStatus::kTryLater:
      return Outcome::kTryLater;
    default:
      return Outcome::kInternal;
  }
}

std::string_view PathOf(std::string_view target) {
  size_t q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

}  // namespace

OcspHandler::OcspHandler(Worker& worker) : worker_(worker) {}

ReplyHead OcspHandler::Head(const Connection& conn) {
  const PendingAnswer& p = conn.pending();
  ReplyHead head;
  head.http_minor = p.http_minor;
  head.keep_alive = p.keep_alive;
  head.close = !p.keep_alive;
  head.date = worker_.date();
  return head;
}

void OcspHandler::Finish(Connection& conn, Outcome outcome) {
  WorkerMetrics& m = worker_.metrics();
  m.Count(outcome);
  m.Observe(worker_.ctx().clock->MonotonicMicros() - conn.pending().started_us);
}

void OcspHandler::SendError(Connection& conn, ocsp::ResponseStatus status) {
  AppendOcsp(conn.out(), Head(conn), ocsp::ErrorResponse(status));
  Finish(conn, OutcomeOf(status));
}

Handled OcspHandler::Handle(Connection& conn, const HttpRequest& req) {
  Context& ctx = worker_.ctx();
  WorkerMetrics& m = worker_.metrics();
  PendingAnswer& p = conn.pending();
  p.http_minor = req.http_minor;
  p.keep_alive = req.keep_alive;
  p.is_get = req.method == HTTP_GET;
  p.started_us = ctx.clock->MonotonicMicros();
  p.attempts = 0;
  ReplyHead head = Head(conn);

  if (req.method == HTTP_GET) {
    m.methods[static_cast<size_t>(MethodKind::kGet)].fetch_add(1, std::memory_order_relaxed);
    std::string_view path = PathOf(req.target);
    if (path == "/healthz") {
      ServeHealth(conn, head);
      return Handled::kDone;
    }
    if (path == "/metrics") {
      ServeMetrics(conn, head);
      return Handled::kDone;
    }
    der::Bytes der = ocsp::DecodeGetTarget(req.target, get_buf_);
    if (der.empty()) {
      SendError(conn, ocsp::ResponseStatus::kMalformedRequest);
      return Handled::kDone;
    }
    return OnOcsp(conn, der);
  }
  if (req.method == HTTP_POST) {
    m.methods[static_cast<size_t>(MethodKind::kPost)].fetch_add(1, std::memory_order_relaxed);
    // Some clients send no or another Content-Type; answer anyway, but count.
    if (!req.content_type_ocsp) m.wrong_content_type.fetch_add(1, std::memory_order_relaxed);
    return OnOcsp(conn, req.body);
  }
  m.methods[static_cast<size_t>(MethodKind::kOther)].fetch_add(1, std::memory_order_relaxed);
  m.http_errors.fetch_add(1, std::memory_order_relaxed);
  AppendText(conn.out(), head, 405, "text/plain", "method not allowed\n", "Allow: GET, POST\r\n");
  return Handled::kDone;
}

// The hit path: parse, find the CA, build the key on the stack, look it up
// and copy the prebuilt bytes out. Nothing here allocates.
Handled OcspHandler::OnOcsp(Connection& conn, der::Bytes der) {
  Context& ctx = worker_.ctx();
  ocsp::Request parsed;
  if (ocsp::ParseRequest(der, &parsed) != ocsp::ParseError::kOk) {
    SendError(conn, ocsp::ResponseStatus::kMalformedRequest);
    return Handled::kDone;
  }
  // FreeRADIUS sends a nonce by default; several CertIDs or a SHA-384/512
  // CertID have no precomputed answer either: all are signed live.
  if (parsed.NeedsLiveSigning()) return SubmitLive(conn, der, false);

  const ocsp::CertId& id = parsed.cert_ids[0];
  int ca = -1;
  for (size_t i = 0; i < ctx.cas.size(); ++i) {
    if (ctx.cas[i].Matches(id)) {
      ca = static_cast<int>(i);
      break;
    }
  }
  if (ca < 0) {
    SendError(conn, ocsp::ResponseStatus::kUnauthorized);
    return Handled::kDone;
  }
  PendingAnswer& p = conn.pending();
  if (!MakeKey(static_cast<uint16_t>(ca), id.hash, id.serial, &p.key)) {
    SendError(conn, ocsp::ResponseStatus::kMalformedRequest);
    return Handled::kDone;
  }
  // Until the subscriber has resynchronised, the cache may hold an answer an
  // invalidation we missed has outdated: ask Redis instead. With Redis
  // unreachable the cache is all there is, and its answers are signed and
  // still before nextUpdate.
  bool use_cache = ctx.trusted.load(std::memory_order_acquire) || !worker_.redis().ready();
  if (use_cache && ServeFromCache(conn, true)) return Handled::kDone;
  worker_.metrics().cache_misses.fetch_add(1, std::memory_order_relaxed);
  if (!worker_.redis().ready()) {
    SendError(conn, ocsp::ResponseStatus::kTryLater);
    return Handled::kDone;
  }
  p.request.assign(der.begin(), der.end());
  return Fetch(conn);
}

bool OcspHandler::ServeFromCache(Connection& conn, bool count_hit) {
  Context& ctx = worker_.ctx();
  int64_t now = ctx.clock->NowSeconds();
  ocsp::CertStatus status = ocsp::CertStatus::kGood;
  EntryKind kind = EntryKind::kPrecomputed;
  ReplyHead head = Head(conn);
  bool is_get = conn.pending().is_get;
  bool hit = ctx.cache.Visit(conn.pending().key, now, [&](const CacheEntry& e) {
    AppendCachedOcsp(conn.out(), head, e, now, is_get);
    status = e.status();
    kind = e.kind();
  });
  if (!hit) return false;
  if (count_hit) worker_.metrics().cache_hits.fetch_add(1, std::memory_order_relaxed);
  if (kind == EntryKind::kNegative)
    ctx.metrics.negative_hits.fetch_add(1, std::memory_order_relaxed);
  Finish(conn, OutcomeOf(status));
  return true;
}

Handled OcspHandler::Fetch(Connection& conn) {
  Context& ctx = worker_.ctx();
  PendingAnswer& p = conn.pending();
  const CacheKey& k = p.key;
  char hex[2 * ocsp::kMaxSerialBytes];
  size_t n = ocsp::SerialHex(k.serial_bytes(), hex);
  std::string_view serial(hex, n);
  std::string key = ctx.keys.ResponseHash(ctx.cas[k.ca].name, serial);
  std::string field = store::ResponseField(static_cast<ocsp::HashAlg>(k.alg), serial);
  // Read before the GET is sent: an invalidation applied after this point
  // makes Insert refuse whatever the GET returns.
  p.epoch = ctx.cache.Epoch();
  ++p.attempts;
  const char* argv[] = {"HGET", key.c_str(), field.c_str()};
  size_t lens[] = {4, key.size(), field.size()};
  void* privdata = reinterpret_cast<void*>(static_cast<uintptr_t>(conn.id()));
  if (!worker_.redis().Command(OnFetchReply, privdata, 3, argv, lens)) {
    if (!ServeFromCache(conn, false)) SendError(conn, ocsp::ResponseStatus::kTryLater);
    return Handled::kDone;
  }
  worker_.metrics().redis_fetches.fetch_add(1, std::memory_order_relaxed);
  return Handled::kAsync;
}

void OcspHandler::OnFetchReply(redisAsyncContext* c, void* reply, void* privdata) {
  AsyncRedis* redis = static_cast<AsyncRedis*>(c->data);
  if (redis == nullptr) return;  // the worker is stopping; its connections close
  Worker& worker = *static_cast<Worker*>(redis->listener());
  Connection* conn = worker.FindConnection(reinterpret_cast<uintptr_t>(privdata));
  if (conn == nullptr || !conn->awaiting_answer()) return;  // the client went away
  worker.handler().FetchDone(*conn, reply);
}

void OcspHandler::FetchDone(Connection& conn, void* r) {
  Context& ctx = worker_.ctx();
  PendingAnswer& p = conn.pending();
  redisReply* reply = static_cast<redisReply*>(r);
  if (reply == nullptr || reply->type == REDIS_REPLY_ERROR) {
    // Redis went away mid-request: the cache is the best answer we have.
    if (!ServeFromCache(conn, false)) SendError(conn, ocsp::ResponseStatus::kTryLater);
    conn.AnswerReady();
    return;
  }
  if (reply->type == REDIS_REPLY_NIL) {
    // No precomputed response: a serial nobody published (or not yet).
    if (SubmitLive(conn, {}, true) == Handled::kDone) conn.AnswerReady();
    return;
  }
  if (reply->type != REDIS_REPLY_STRING) {
    SendError(conn, ocsp::ResponseStatus::kInternalError);
    conn.AnswerReady();
    return;
  }
  std::optional<store::StoredResponse> stored =
      DecodeBlobHeader(std::string_view(reply->str, reply->len));
  if (!stored) {
    SendError(conn, ocsp::ResponseStatus::kInternalError);
    conn.AnswerReady();
    return;
  }
  int64_t now = ctx.clock->NowSeconds();
  if (stored->next_update <= now) {
    // Redis holds an expired answer (nothing re-signed it in time); serving it
    // would only make the client fail. Sign one live with its status.
    if (SubmitLive(conn, {}, false) == Handled::kDone) conn.AnswerReady();
    return;
  }
  EntryPtr entry =
      CacheEntry::Create(p.key, *stored, BlobDer(std::string_view(reply->str, reply->len)),
                         EntryKind::kPrecomputed, stored->next_update, ctx.SharedTail(p.key.ca));
  bool inserted = ctx.cache.Insert(std::move(entry), p.epoch);
  if (inserted && ServeFromCache(conn, false)) {
    conn.AnswerReady();
    return;
  }
  // The certificate changed while the GET was in flight (or was dropped just
  // after): what we read may predate a revocation. Ask again.
  worker_.metrics().stale_refused.fetch_add(1, std::memory_order_relaxed);
  if (p.attempts < kMaxFetchAttempts && worker_.redis().ready()) {
    if (Fetch(conn) == Handled::kAsync) return;
  } else {
    SendError(conn, ocsp::ResponseStatus::kTryLater);
  }
  conn.AnswerReady();
}

Handled OcspHandler::SubmitLive(Connection& conn, der::Bytes der, bool unknown_serial) {
  Context& ctx = worker_.ctx();
  if (ctx.signer == nullptr) {
    // Live signing is not available: say so honestly rather than guess.
    SendError(conn, ocsp::ResponseStatus::kTryLater);
    return Handled::kDone;
  }
  if (ctx.signer->Submit(worker_, conn, der, unknown_serial)) return Handled::kAsync;
  SendError(conn, ocsp::ResponseStatus::kTryLater);  // the queue is full
  return Handled::kDone;
}

void OcspHandler::ServeHealth(Connection& conn, const ReplyHead& head) {
  Context& ctx = worker_.ctx();
  bool trusted = ctx.trusted.load();
  bool connected = ctx.metrics.subscriber_connected.load() && worker_.redis().ready();
  if (trusted && connected) {
    AppendText(conn.out(), head, 200, "text/plain", "ok\n");
    return;
  }
  std::string_view reason = !connected ? "redis unreachable: serving cached answers\n"
                                       : "cache not trusted: resynchronising with redis\n";
  AppendText(conn.out(), head, 503, "text/plain", reason);
}

void OcspHandler::ServeMetrics(Connection& conn, const ReplyHead& head) {
  Context& ctx = worker_.ctx();
  std::string body =
      ctx.metrics.Render(ctx.cache.size(), ctx.cache.MemoryBytes(), ctx.trusted.load());
  AppendText(conn.out(), head, 200, "text/plain; version=0.0.4", body);
}

}  // namespace keyward::responder
