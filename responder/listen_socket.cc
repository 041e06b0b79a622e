#include "responder/listen_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace keyward::responder {
namespace {

std::string Describe(const config::ListenAddress& a) {
  return (a.host.find(':') != std::string::npos ? "[" + a.host + "]" : a.host) + ":" +
         std::to_string(a.port);
}

}  // namespace

Result<int> OpenListenSocket(const config::ListenAddress& addr, int backlog, int* bound_port) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  std::string host = addr.host.empty() ? "0.0.0.0" : addr.host;
  if (!host.empty() && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  sockaddr_in* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  sockaddr_in6* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(addr.port));
    len = sizeof(*v4);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(addr.port));
    len = sizeof(*v6);
  } else {
    return Fail("listen address " + Describe(addr) + ": not a numeric IP address");
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail("socket: " + std::string(std::strerror(errno)));
  int one = 1;
  auto fail = [&](const char* what) {
    std::string msg = std::string(what) + " " + Describe(addr) + ": " + std::strerror(errno);
    close(fd);
    return Fail(msg);
  };
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) return fail("SO_REUSEADDR");
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) return fail("SO_REUSEPORT");
  if (ss.ss_family == AF_INET6 &&
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) {
    return fail("IPV6_V6ONLY");
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return fail("bind");
  if (listen(fd, backlog) != 0) return fail("listen");
  sockaddr_storage got{};
  socklen_t got_len = sizeof(got);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&got), &got_len) != 0) return fail("getsockname");
  *bound_port = got.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&got)->sin6_port)
                                          : ntohs(reinterpret_cast<sockaddr_in*>(&got)->sin_port);
  return fd;
}

}  // namespace keyward::responder
