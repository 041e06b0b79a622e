#include "bench/load/simple_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>

#include "bench/load/http_response.h"

namespace keyward::bench {

Result<SimpleResponse> SimpleHttp(const HttpUrl& url, const std::string& method,
                                  const std::string& target, const std::string& body,
                                  const std::string& content_type, int timeout_ms) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, url.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(url.port));
    len = sizeof(*v4);
  } else if (inet_pton(AF_INET6, url.host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(url.port));
    len = sizeof(*v6);
  } else {
    return Fail("host '" + url.host + "' is not a numeric IP");
  }
  int fd = socket(addr.ss_family, SOCK_STREAM, 0);
  if (fd < 0) return Fail(std::string("socket: ") + std::strerror(errno));
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  std::string where = url.host + ":" + std::to_string(url.port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    std::string err = std::strerror(errno);
    close(fd);
    return Fail("connect " + where + ": " + err);
  }
  std::string req = method + " " + target + " HTTP/1.0\r\nHost: " + where + "\r\n";
  if (!body.empty()) {
    req += "Content-Type: " + content_type + "\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n";
  }
  req += "\r\n" + body;
  size_t off = 0;
  while (off < req.size()) {
    ssize_t n = send(fd, req.data() + off, req.size() - off, MSG_NOSIGNAL);
    if (n <= 0) {
      close(fd);
      return Fail("send to " + where + " failed");
    }
    off += static_cast<size_t>(n);
  }
  HttpResponseReader reader;
  char buf[16384];
  while (reader.state() == HttpResponseReader::State::kHeaders ||
         reader.state() == HttpResponseReader::State::kBody) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0) {
      close(fd);
      return Fail("read from " + where + " failed or timed out");
    }
    if (n == 0) {
      reader.OnEof();
      break;
    }
    reader.Feed(buf, static_cast<size_t>(n));
  }
  close(fd);
  if (reader.state() != HttpResponseReader::State::kDone)
    return Fail("bad HTTP answer from " + where);
  SimpleResponse r;
  r.status = reader.status();
  r.content_type.assign(reader.content_type());
  r.body.assign(reader.body());
  return r;
}

}  // namespace keyward::bench
