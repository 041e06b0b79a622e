#include "responder/signer_pool.h"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>

#include "responder/connection.h"
#include "responder/http_response.h"
#include "responder/ocsp_handler.h"
#include "responder/worker.h"
#include "shared/ocsp/cert_id.h"
#include "shared/status/status_publisher.h"

namespace keyward::responder {
namespace {

constexpr int kRedisTimeoutMs = 1000;

std::string ErrorDer(ocsp::ResponseStatus s) {
  der::Bytes b = ocsp::ErrorResponse(s);
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

}  // namespace

SignerPool::SignerPool(Context& ctx) : ctx_(ctx) {
  for (const pki::CaMaterial& ca : ctx_.cas) signers_.emplace_back(ca);
  int threads = ctx_.responder.signer_threads;
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads_count_ = static_cast<size_t>(threads);
  queue_cap_ = static_cast<size_t>(std::max(1, ctx_.responder.signer_queue));
  deadline_us_ = static_cast<uint64_t>(std::max(1, ctx_.responder.signer_deadline_ms)) * 1000;
}

SignerPool::~SignerPool() { Stop(); }

void SignerPool::Start() {
  for (size_t i = 0; i < threads_count_; ++i) threads_.emplace_back([this] { Run(); });
}

void SignerPool::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    queue_.clear();
    ctx_.metrics.signer_queue_depth.store(0);
  }
  cv_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

bool SignerPool::Submit(Worker& worker, Connection& conn, der::Bytes request, bool miss_unknown) {
  Job job;
  job.worker = &worker;
  job.conn_id = conn.id();
  job.enqueued_us = ctx_.clock->MonotonicMicros();
  job.epoch = ctx_.cache.Epoch();
  job.miss_unknown = miss_unknown;
  if (request.empty()) {
    job.request = conn.pending().request;
  } else {
    job.request.assign(request.begin(), request.end());
  }
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= queue_cap_) {
      ctx_.metrics.live_trylater.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    queue_.push_back(std::move(job));
    ctx_.metrics.signer_queue_depth.store(static_cast<int64_t>(queue_.size()));
  }
  cv_.notify_one();
  return true;
}

void SignerPool::Run() {
  // Named so that operators (top -H) and the benchmark can tell signing
  // CPU from event-loop CPU.
  pthread_setname_np(pthread_self(), "kw-signer");
  // On Linux a thread's nice value is its own (PRIO_PROCESS with its tid).
  // signer_nice steps below the process (and so the event loops, whatever
  // nice the process was started with): a flood of nonces or unknown
  // serials then takes only the CPU the cached hit path leaves, and the
  // deadline turns the rest into tryLater.
  if (ctx_.responder.signer_nice > 0) {
    const auto tid = static_cast<id_t>(gettid());
    errno = 0;
    const int base = getpriority(PRIO_PROCESS, tid);
    const int nice = std::min(19, (errno == 0 ? base : 0) + ctx_.responder.signer_nice);
    if (setpriority(PRIO_PROCESS, tid, nice) != 0) {
      spdlog::warn("signer thread: setpriority({}) failed: {}", nice, std::strerror(errno));
    }
  }
  // Each thread has its own blocking Redis connection for record lookups,
  // opened on first use and reopened after a failure.
  std::unique_ptr<store::StoreWriter> store;
  store::StoreReader* reader = nullptr;
  std::vector<Delivery> ready;  // signed, not yet handed to their loops
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      if (queue_.empty() && !ready.empty()) {
        // Nothing else waiting: hand over what is done now rather than
        // hold it for a fuller batch.
        lock.unlock();
        Deliver(&ready);
        continue;
      }
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
      ctx_.metrics.signer_queue_depth.store(static_cast<int64_t>(queue_.size()));
    }
    if (reader == nullptr) {
      Result<std::unique_ptr<store::StoreWriter>> opened =
          store::ConnectRedis(ctx_.store, kRedisTimeoutMs);
      if (opened) {
        store = std::move(*opened);
        reader = store.get();
      }
    }
    store::StoreReader* used = reader;
    Answer answer = Process(job, &used);
    if (used == nullptr) {  // a lookup failed: reconnect next time
      store.reset();
      reader = nullptr;
    }
    ready.push_back({job.worker, job.conn_id, std::move(answer)});
    if (ready.size() >= kDeliverBatch) Deliver(&ready);
  }
}

bool SignerPool::StatusOf(const ocsp::CertId& id, int ca, store::StoreReader** reader,
                          ocsp::LiveItem* item, bool* no_record) {
  *no_record = false;
  const pki::CaMaterial& material = ctx_.cas[static_cast<size_t>(ca)];
  int64_t now = ctx_.clock->NowSeconds();
  // A precomputed entry (either variant) carries the status; trust it only
  // when the cache is in sync.
  if (ctx_.trusted.load()) {
    for (ocsp::HashAlg alg : status::kPrecomputedAlgs) {
      CacheKey key;
      if (!MakeKey(static_cast<uint16_t>(ca), alg, id.serial, &key)) return false;
      bool found = false;
      ctx_.cache.Visit(key, now, [&](const CacheEntry& e) {
        if (e.kind() != EntryKind::kPrecomputed) return;
        item->status = e.status();
        item->reason = e.reason();
        item->revoked_at = e.revoked_at();
        found = true;
      });
      if (found) return true;
    }
  }
  if (*reader == nullptr) return false;
  ctx_.metrics.live_redis_lookups.fetch_add(1, std::memory_order_relaxed);
  Result<std::optional<store::CertRecord>> record =
      (*reader)->GetRecord(material.name, ocsp::SerialHexString(id.serial));
  if (!record) {
    spdlog::warn("live signing: record lookup: {}", record.error());
    *reader = nullptr;
    return false;
  }
  if (!record->has_value()) {
    // A serial nobody issued (RFC 6960 2.2): "unknown", or "revoked" with the
    // extended-revoked extension when the CA issues and asks for it.
    *no_record = true;
    item->status = ocsp::CertStatus::kUnknown;
    item->extended_revoked = material.unknown_as_revoked;
    return true;
  }
  item->status = (*record)->status;
  item->reason = (*record)->reason;
  item->revoked_at = (*record)->revoked_at;
  return true;
}

SignerPool::Answer SignerPool::Process(Job& job, store::StoreReader** reader) {
  if (ctx_.clock->MonotonicMicros() - job.enqueued_us > deadline_us_) {
    // Waited too long: the client's own timer is running out; a fast
    // tryLater beats a late signature.
    ctx_.metrics.live_trylater.fetch_add(1, std::memory_order_relaxed);
    return {ErrorDer(ocsp::ResponseStatus::kTryLater), Outcome::kTryLater};
  }
  ocsp::Request req;
  if (ocsp::ParseRequest(job.request, &req) != ocsp::ParseError::kOk) {
    return {ErrorDer(ocsp::ResponseStatus::kMalformedRequest), Outcome::kMalformed};
  }
  // The response is signed by the CA the first CertID names; CertIDs of
  // other issuers in the same request are answered "unknown".
  int signing_ca = -1;
  for (size_t c = 0; c < ctx_.cas.size(); ++c) {
    if (ctx_.cas[c].Matches(req.cert_ids[0])) {
      signing_ca = static_cast<int>(c);
      break;
    }
  }
  if (signing_ca < 0) {
    return {ErrorDer(ocsp::ResponseStatus::kUnauthorized), Outcome::kUnauthorized};
  }
  std::array<ocsp::LiveItem, ocsp::kMaxCertIdsPerRequest> items{};
  bool all_no_record = true;
  Outcome outcome = Outcome::kGood;
  for (size_t i = 0; i < req.cert_id_count; ++i) {
    const ocsp::CertId& id = req.cert_ids[i];
    ocsp::LiveItem& item = items[i];
    item.cert_id_der = id.raw;
    bool no_record = false;
    if (ctx_.cas[static_cast<size_t>(signing_ca)].Matches(id)) {
      if (!StatusOf(id, signing_ca, reader, &item, &no_record)) {
        ctx_.metrics.live_trylater.fetch_add(1, std::memory_order_relaxed);
        return {ErrorDer(ocsp::ResponseStatus::kTryLater), Outcome::kTryLater};
      }
    } else {
      item.status = ocsp::CertStatus::kUnknown;
    }
    all_no_record = all_no_record && no_record;
    // The request's outcome is its worst item.
    if (item.status == ocsp::CertStatus::kRevoked || item.extended_revoked) {
      outcome = Outcome::kRevoked;
    } else if (item.status == ocsp::CertStatus::kUnknown && outcome == Outcome::kGood) {
      outcome = Outcome::kUnknown;
    }
  }
  int64_t now = ctx_.clock->NowSeconds();
  ocsp::Validity validity{now, ctx_.ocsp.validity_s, ctx_.ocsp.backdate_s};
  Result<std::string> der = signers_[static_cast<size_t>(signing_ca)].SignLive(
      std::span<const ocsp::LiveItem>(items.data(), req.cert_id_count), req.nonce_extn_value,
      validity);
  if (!der) {
    spdlog::error("live signing failed: {}", der.error());
    return {ErrorDer(ocsp::ResponseStatus::kInternalError), Outcome::kInternal};
  }
  ctx_.metrics.live_signatures.fetch_add(1, std::memory_order_relaxed);
  // Negative cache: a serial nobody knows, asked without a nonce, is answered
  // from memory for negative_cache_s, so a flood of random serials costs one
  // signature per serial, not per request. An invalidation of the serial (it
  // was just issued) drops the entry; the epoch read at submission keeps an
  // answer computed before such an invalidation out of the cache.
  if (job.miss_unknown && all_no_record && req.cert_id_count == 1 &&
      req.nonce_state == ocsp::NonceState::kAbsent && ctx_.responder.negative_cache_s > 0) {
    CacheKey key;
    if (MakeKey(static_cast<uint16_t>(signing_ca), req.cert_ids[0].hash, req.cert_ids[0].serial,
                &key)) {
      store::StoredResponse meta;
      meta.status =
          items[0].extended_revoked ? ocsp::CertStatus::kRevoked : ocsp::CertStatus::kUnknown;
      meta.this_update = now - ctx_.ocsp.backdate_s;
      int64_t until = now + ctx_.responder.negative_cache_s;
      // Expires and max-age say how long this answer is kept, not nextUpdate:
      // an HTTP cache must not hold "unknown" for a day.
      meta.next_update = until;
      ctx_.cache.Insert(
          CacheEntry::Create(key, meta, *der, EntryKind::kNegative, until, ctx_.SharedTail(key.ca)),
          job.epoch);
    }
  }
  return {std::move(*der), outcome};
}

void SignerPool::Deliver(std::vector<Delivery>* ready) {
  // One Post per worker for the whole batch: under load each wake-up of a
  // loop then writes several answers, instead of two context switches per
  // answer between a signer and a loop that share a core.
  while (!ready->empty()) {
    Worker* worker = ready->front().worker;
    std::vector<Delivery> mine;
    auto theirs = std::stable_partition(ready->begin(), ready->end(),
                                        [&](const Delivery& d) { return d.worker == worker; });
    std::move(ready->begin(), theirs, std::back_inserter(mine));
    ready->erase(ready->begin(), theirs);
    worker->Post([mine = std::move(mine)](Worker& w) {
      for (const Delivery& d : mine) WriteAnswer(w, d.conn_id, d.answer);
    });
  }
}

void SignerPool::WriteAnswer(Worker& w, uint64_t conn_id, const Answer& answer) {
  Connection* conn = w.FindConnection(conn_id);
  if (conn == nullptr || !conn->awaiting_answer()) return;  // closed meanwhile
  ReplyHead head;
  head.http_minor = conn->pending().http_minor;
  head.keep_alive = conn->pending().keep_alive;
  head.close = !conn->pending().keep_alive;
  head.date = w.date();
  AppendOcsp(conn->out(), head,
             der::Bytes(reinterpret_cast<const uint8_t*>(answer.der.data()), answer.der.size()));
  w.handler().Finish(*conn, answer.outcome);
  conn->AnswerReady();
}

}  // namespace keyward::responder
