#pragma once
// SignerPool: live signing off the event loops. A bounded queue feeds a fixed
// set of threads; each job owns a copy of the request bytes, works out every
// CertID's status (the cache, else a Redis record lookup, else unknown), signs
// one response with ocsp::ResponseSigner::SignLive and hands it back to the
// connection's own loop (Worker::Post), which drops it if that connection has
// closed meanwhile (connections are named by id, never by pointer).
//
// Bounded so that a flood of nonces or random serials cannot starve the hit
// path: over signer_queue waiting jobs, or a job older than
// signer_deadline_ms when a thread picks it up, is answered tryLater.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "responder/context.h"
#include "responder/metrics.h"
#include "shared/der/bytes.h"
#include "shared/ocsp/request.h"
#include "shared/ocsp/response_signer.h"
#include "shared/store/store.h"

namespace keyward::responder {

class Connection;
class Worker;

class SignerPool {
 public:
  // Threads: [responder] signer_threads (0: one per core).
  explicit SignerPool(Context& ctx);
  ~SignerPool();
  SignerPool(const SignerPool&) = delete;
  SignerPool& operator=(const SignerPool&) = delete;

  void Start();
  void Stop();  // drains nothing: waiting jobs are dropped, threads joined

  // Submit queues a job answering `conn`'s pending request, whose DER is
  // `request` (empty: the bytes already copied into conn.pending()).
  // `miss_unknown`: Redis had no precomputed answer for this single-CertID
  // request, so a signed "unknown" may go into the negative cache. False when
  // the queue is full (the caller answers tryLater; it is counted).
  bool Submit(Worker& worker, Connection& conn, der::Bytes request, bool miss_unknown);

 private:
  struct Job {
    Worker* worker = nullptr;
    uint64_t conn_id = 0;
    uint64_t enqueued_us = 0;
    uint64_t epoch = 0;  // cache epoch at submission (negative-cache guard)
    bool miss_unknown = false;
    std::vector<uint8_t> request;
  };
  struct Answer {
    std::string der;
    Outcome outcome = Outcome::kInternal;
  };
  struct Delivery {
    Worker* worker = nullptr;
    uint64_t conn_id = 0;
    Answer answer;
  };
  // Most answers a signer thread holds before handing them to their loops;
  // it hands them over sooner whenever its queue runs empty.
  static constexpr size_t kDeliverBatch = 8;

  void Run();
  Answer Process(Job& job, store::StoreReader** reader);
  bool StatusOf(const ocsp::CertId& id, int ca, store::StoreReader** reader, ocsp::LiveItem* item,
                bool* no_record);
  void Deliver(std::vector<Delivery>* ready);
  static void WriteAnswer(Worker& w, uint64_t conn_id, const Answer& answer);

  Context& ctx_;
  std::vector<ocsp::ResponseSigner> signers_;
  size_t threads_count_;
  size_t queue_cap_;
  uint64_t deadline_us_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace keyward::responder
