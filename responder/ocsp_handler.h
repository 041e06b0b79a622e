#pragma once
// OcspHandler: the responder's request flow on one worker loop. Routes a
// request, parses the OCSP request, finds the CA, and answers from the cache;
// a miss goes to Redis on the worker's own connection, and requests that need
// a signature go to the signer pool. Every failure exit sends a precomputed
// OCSP error answer (HTTP 200, application/ocsp-response).
#include <hiredis/async.h>

#include <array>
#include <cstdint>

#include "responder/connection.h"
#include "responder/http_response.h"
#include "responder/metrics.h"
#include "shared/ocsp/get_decoder.h"
#include "shared/ocsp/request.h"
#include "shared/ocsp/status.h"

namespace keyward::responder {

class Worker;

class OcspHandler : public RequestHandler {
 public:
  explicit OcspHandler(Worker& worker);
  Handled Handle(Connection& conn, const HttpRequest& req) override;

  // SendError appends the precomputed unsigned answer for `status`.
  void SendError(Connection& conn, ocsp::ResponseStatus status);
  // Finish records latency for the request being answered.
  void Finish(Connection& conn, Outcome outcome);
  // ServeFromCache appends the cached answer for conn.pending().key, if any.
  bool ServeFromCache(Connection& conn, bool count_hit);

 private:
  Handled OnOcsp(Connection& conn, der::Bytes der);
  Handled Fetch(Connection& conn);
  Handled SubmitLive(Connection& conn, der::Bytes der, bool single_without_nonce);
  void ServeHealth(Connection& conn, const ReplyHead& head);
  void ServeMetrics(Connection& conn, const ReplyHead& head);
  static void OnFetchReply(redisAsyncContext* c, void* reply, void* privdata);
  void FetchDone(Connection& conn, void* reply);
  ReplyHead Head(const Connection& conn);

  Worker& worker_;
  // The decoded GET form. Per worker, not per connection: a request is
  // parsed on the loop in one go, and what outlives that (a cache key, or the
  // request bytes a signer job copies) is copied out first.
  std::array<uint8_t, ocsp::kMaxGetDerBytes> get_buf_{};
};

}  // namespace keyward::responder
