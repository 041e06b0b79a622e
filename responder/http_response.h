#pragma once
// Response writers: append a whole HTTP response (status line, headers, body)
// to a connection's output buffer. They only append, so once the buffer has
// grown to its working size the hit path allocates nothing.
#include <cstdint>
#include <string_view>
#include <vector>

#include "responder/cache_entry.h"
#include "shared/der/bytes.h"
#include "shared/http/message.h"

namespace keyward::responder {

struct ReplyHead {
  uint8_t http_minor = 1;  // answer in the request's HTTP version
  bool close = false;      // adds "Connection: close"
  bool keep_alive = true;  // for HTTP/1.0 keep-alive, adds "Connection: keep-alive"
  std::string_view date;   // IMF-fixdate, cached per loop
};

// AppendOcsp writes a 200 application/ocsp-response with `der` as the body.
void AppendOcsp(std::vector<uint8_t>& out, const ReplyHead& head, der::Bytes der);
// AppendCachedOcsp writes the entry's DER; with `cacheable` (a GET) it adds
// RFC 5019's Cache-Control (max-age = nextUpdate - now, never negative),
// Last-Modified, Expires and ETag.
void AppendCachedOcsp(std::vector<uint8_t>& out, const ReplyHead& head, const CacheEntry& e,
                      int64_t now, bool cacheable);
// AppendText writes a small non-OCSP answer (errors, /healthz, /metrics).
// `extra_headers` is zero or more complete "Name: value\r\n" lines.
void AppendText(std::vector<uint8_t>& out, const ReplyHead& head, int status,
                std::string_view content_type, std::string_view body,
                std::string_view extra_headers = {});

// The reason phrases are the shared HTTP server's.
using http::StatusReason;

}  // namespace keyward::responder
