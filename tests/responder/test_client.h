#pragma once
// A small blocking HTTP client over real loopback sockets and OpenSSL-built
// OCSP requests, for the responder tests. Header-only: tests/ compiles only
// *_test.cc and tests/support/*.cc.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/rand.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <strings.h>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "shared/openssl/ptr.h"

namespace keyward::responder::testing {

struct HttpReply {
  int status = 0;
  std::string version;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class Client {
 public:
  explicit Client(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~Client() {
    if (fd_ >= 0) close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool ok() const { return fd_ >= 0; }
  bool Send(const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }
  // Read waits up to timeout_ms for more bytes; false on EOF, error or timeout.
  bool ReadMore(int timeout_ms = 10000) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return false;
    char buf[16384];
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    in_.append(buf, static_cast<size_t>(n));
    return true;
  }
  // ReadReply parses one response (Content-Length framed) from the stream.
  std::optional<HttpReply> ReadReply(int timeout_ms = 10000) {
    for (;;) {
      size_t end = in_.find("\r\n\r\n");
      if (end != std::string::npos) {
        HttpReply r;
        std::string head = in_.substr(0, end);
        size_t line_end = head.find("\r\n");
        std::string status_line = head.substr(0, line_end);
        r.version = status_line.substr(0, status_line.find(' '));
        r.status = std::atoi(status_line.c_str() + status_line.find(' ') + 1);
        size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
        while (pos < head.size()) {
          size_t e = head.find("\r\n", pos);
          if (e == std::string::npos) e = head.size();
          std::string line = head.substr(pos, e - pos);
          size_t colon = line.find(':');
          if (colon != std::string::npos) {
            std::string name = line.substr(0, colon);
            for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            std::string value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.erase(0, 1);
            r.headers[name] = value;
          }
          pos = e + 2;
        }
        size_t length = static_cast<size_t>(std::atol(r.Header("content-length").c_str()));
        while (in_.size() < end + 4 + length) {
          if (!ReadMore(timeout_ms)) return std::nullopt;
        }
        r.body = in_.substr(end + 4, length);
        in_.erase(0, end + 4 + length);
        return r;
      }
      if (!ReadMore(timeout_ms)) return std::nullopt;
    }
  }
  // ClosedByPeer: true once the server has closed (waits up to timeout_ms).
  bool ClosedByPeer(int timeout_ms = 10000) {
    while (!eof_) {
      if (!ReadMore(timeout_ms) && !eof_) return false;
    }
    return true;
  }

 private:
  int fd_ = -1;
  std::string in_;
  bool eof_ = false;
};

inline std::string Post(const std::string& path, const std::string& body,
                        const std::string& version = "HTTP/1.1",
                        const std::string& extra = "Host: t\r\n") {
  return "POST " + path + " " + version + "\r\n" + extra +
         "Content-Type: application/ocsp-request\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

inline std::string Get(const std::string& path, const std::string& version = "HTTP/1.1",
                       const std::string& extra = "Host: t\r\n") {
  return "GET " + path + " " + version + "\r\n" + extra + "\r\n";
}

// One round trip on a fresh connection.
inline std::optional<HttpReply> Exchange(int port, const std::string& request) {
  Client c(port);
  if (!c.ok() || !c.Send(request)) return std::nullopt;
  return c.ReadReply();
}

// OcspRequest builds a DER OCSPRequest for `leaf` issued by `issuer`.
inline std::string OcspRequest(X509* issuer, X509* leaf, const EVP_MD* md = EVP_sha1(),
                               bool nonce = false) {
  openssl::OcspRequestPtr req(OCSP_REQUEST_new());
  OCSP_CERTID* id = OCSP_cert_to_id(md, leaf, issuer);
  if (id == nullptr || OCSP_request_add0_id(req.get(), id) == nullptr) return {};
  if (nonce && OCSP_request_add1_nonce(req.get(), nullptr, 16) != 1) return {};
  unsigned char* out = nullptr;
  int n = i2d_OCSP_REQUEST(req.get(), &out);
  if (n <= 0) return {};
  std::string der(reinterpret_cast<char*>(out), static_cast<size_t>(n));
  OPENSSL_free(out);
  return der;
}

struct OcspResult {
  int response_status = -1;  // OCSP_RESPONSE_STATUS_*
  int cert_status = -1;      // V_OCSP_CERTSTATUS_*; -1 if none
  int reason = -1;
  int single_count = 0;
  bool signature_ok = false;
  bool nonce_ok = false;  // OCSP_check_nonce == 1
};

// ParseOcsp reads a response and, when `issuer` is given, verifies its
// signature against it and finds the status of `leaf`.
inline OcspResult ParseOcsp(const std::string& der, X509* issuer = nullptr, X509* leaf = nullptr,
                            const std::string& request_der = {}, const EVP_MD* md = EVP_sha1()) {
  OcspResult r;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  openssl::OcspResponsePtr resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  if (!resp) return r;
  r.response_status = OCSP_response_status(resp.get());
  if (r.response_status != OCSP_RESPONSE_STATUS_SUCCESSFUL) return r;
  openssl::OcspBasicRespPtr basic(OCSP_response_get1_basic(resp.get()));
  if (!basic) return r;
  r.single_count = OCSP_resp_count(basic.get());
  if (issuer != nullptr) {
    openssl::X509StorePtr store(X509_STORE_new());
    X509_STORE_add_cert(store.get(), issuer);
    STACK_OF(X509)* certs = sk_X509_new_null();
    sk_X509_push(certs, issuer);
    r.signature_ok = OCSP_basic_verify(basic.get(), certs, store.get(), 0) == 1;
    sk_X509_free(certs);
    ERR_clear_error();
  }
  if (!request_der.empty()) {
    const unsigned char* q = reinterpret_cast<const unsigned char*>(request_der.data());
    openssl::OcspRequestPtr req(
        d2i_OCSP_REQUEST(nullptr, &q, static_cast<long>(request_der.size())));
    if (req) r.nonce_ok = OCSP_check_nonce(req.get(), basic.get()) == 1;
  }
  if (issuer != nullptr && leaf != nullptr) {
    openssl::OcspCertIdPtr id(OCSP_cert_to_id(md, leaf, issuer));
    int status = -1, reason = -1;
    ASN1_GENERALIZEDTIME *rev = nullptr, *thisupd = nullptr, *nextupd = nullptr;
    if (OCSP_resp_find_status(basic.get(), id.get(), &status, &reason, &rev, &thisupd, &nextupd) ==
        1) {
      r.cert_status = status;
      r.reason = reason;
    }
  }
  return r;
}

inline std::string Base64Url(const std::string& der) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string b;
  size_t i = 0;
  for (; i + 2 < der.size(); i += 3) {
    uint32_t v = (uint8_t)der[i] << 16 | (uint8_t)der[i + 1] << 8 | (uint8_t)der[i + 2];
    b += k[v >> 18];
    b += k[(v >> 12) & 63];
    b += k[(v >> 6) & 63];
    b += k[v & 63];
  }
  if (i + 1 == der.size()) {
    uint32_t v = (uint8_t)der[i] << 16;
    b += k[v >> 18];
    b += k[(v >> 12) & 63];
    b += "==";
  } else if (i + 2 == der.size()) {
    uint32_t v = (uint8_t)der[i] << 16 | (uint8_t)der[i + 1] << 8;
    b += k[v >> 18];
    b += k[(v >> 12) & 63];
    b += k[(v >> 6) & 63];
    b += '=';
  }
  std::string out;
  for (char c : b) {
    if (c == '+')
      out += "%2B";
    else if (c == '/')
      out += "%2F";
    else if (c == '=')
      out += "%3D";
    else
      out += c;
  }
  return out;
}

}  // namespace keyward::responder::testing
