#include "responder/http_response.h"

#include <charconv>

namespace keyward::responder {
namespace {

void Put(std::vector<uint8_t>& out, std::string_view s) {
  out.insert(out.end(), s.begin(), s.end());
}

void PutNumber(std::vector<uint8_t>& out, int64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out.insert(out.end(), buf, res.ptr);
}

void StatusLine(std::vector<uint8_t>& out, const ReplyHead& head, int status) {
  Put(out, head.http_minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ");
  PutNumber(out, status);
  out.push_back(' ');
  Put(out, StatusReason(status));
  Put(out, "\r\n");
}

void CommonHeaders(std::vector<uint8_t>& out, const ReplyHead& head, size_t length) {
  Put(out, "Content-Length: ");
  PutNumber(out, static_cast<int64_t>(length));
  Put(out, "\r\nDate: ");
  Put(out, head.date);
  Put(out, "\r\n");
  if (head.close) {
    Put(out, "Connection: close\r\n");
  } else if (head.http_minor == 0 && head.keep_alive) {
    // An HTTP/1.0 client asked for keep-alive; it only keeps the connection
    // when the answer says so.
    Put(out, "Connection: keep-alive\r\n");
  }
}

}  // namespace

void AppendOcsp(std::vector<uint8_t>& out, const ReplyHead& head, der::Bytes der) {
  StatusLine(out, head, 200);
  Put(out, "Content-Type: application/ocsp-response\r\n");
  CommonHeaders(out, head, der.size());
  Put(out, "\r\n");
  out.insert(out.end(), der.begin(), der.end());
}

void AppendCachedOcsp(std::vector<uint8_t>& out, const ReplyHead& head, const CacheEntry& e,
                      int64_t now, bool cacheable) {
  StatusLine(out, head, 200);
  Put(out, "Content-Type: application/ocsp-response\r\n");
  CommonHeaders(out, head, e.der_size());
  if (cacheable) {
    // RFC 5019 6.2: caches may keep the answer until nextUpdate, no longer.
    int64_t max_age = e.next_update() - now;
    if (max_age < 0) max_age = 0;
    Put(out, "Cache-Control: max-age=");
    PutNumber(out, max_age);
    Put(out, ", public, no-transform, must-revalidate\r\nLast-Modified: ");
    Put(out, e.last_modified());
    Put(out, "\r\nExpires: ");
    Put(out, e.expires());
    Put(out, "\r\nETag: ");
    Put(out, e.etag());
    Put(out, "\r\n");
  }
  Put(out, "\r\n");
  e.AppendDer(out);
}

void AppendText(std::vector<uint8_t>& out, const ReplyHead& head, int status,
                std::string_view content_type, std::string_view body,
                std::string_view extra_headers) {
  StatusLine(out, head, status);
  Put(out, "Content-Type: ");
  Put(out, content_type);
  Put(out, "\r\n");
  CommonHeaders(out, head, body.size());
  Put(out, extra_headers);
  Put(out, "\r\n");
  Put(out, body);
}

}  // namespace keyward::responder
