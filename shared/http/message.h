#pragma once
// http::Request / http::Response: one HTTP/1.1 exchange as a handler sees it.
// The server fills a Request on the event loop and hands it to a worker
// thread; the handler returns a Response by value, which the server
// serialises back on the loop.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keyward::http {

struct Header {
  std::string name;
  std::string value;
};

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // the request-target as sent: "/scep?operation=GetCACaps"
  std::string path;    // target up to '?', not percent-decoded
  std::string query;   // after '?', not percent-decoded ("" when absent)
  std::vector<Header> headers;
  std::string body;
  std::string remote;  // peer address, "127.0.0.1:50412"
  int http_major = 1;
  int http_minor = 1;

  // FindHeader: the first header named `name` (case-insensitive), or null.
  const std::string* FindHeader(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain";
  std::vector<Header> headers;  // extra headers; Content-Length is added by the server
  std::string body;

  static Response Text(int status, std::string body) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
};

// StatusReason: "OK", "Not Found", ... ("Unknown" for codes not listed).
std::string_view StatusReason(int status);

// Serialise writes the status line, headers, Content-Length and body.
// `keep_alive` selects the Connection header.
std::string Serialise(const Response& response, bool keep_alive, int http_minor);

}  // namespace keyward::http
