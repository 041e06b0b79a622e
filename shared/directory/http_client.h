#pragma once
// HttpCall: one blocking HTTP exchange through libcurl, for the directory
// sources, OAuth token endpoints and the Intune validation API. Calls block
// (they run on the poller's thread or an issuer worker), follow no
// redirects, and are bounded by `timeout_ms`. A transport failure is an
// error; any HTTP status, 4xx and 5xx included, is a response for the caller
// to judge.
#include <string>
#include <string_view>
#include <vector>

#include "shared/result.h"

namespace keyward::directory {

struct HttpHeader {
  std::string name;
  std::string value;
};

struct HttpCallSpec {
  std::string method = "GET";
  std::string url;
  std::vector<HttpHeader> headers;  // "Authorization", "Content-Type", ...
  std::string body;
  int timeout_ms = 10'000;
};

struct HttpReply {
  long status = 0;
  std::vector<HttpHeader> headers;  // names as sent by the server
  std::string body;
  // FindHeader: the value of the first header named `name` (case-insensitive), or "".
  std::string FindHeader(std::string_view name) const;
};

// HttpCall performs the exchange. Errors name the method and URL (without
// its query, which may hold tokens) and curl's reason.
Result<HttpReply> HttpCall(const HttpCallSpec& spec);

// FormEncode: application/x-www-form-urlencoded "k=v&k=v".
std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace keyward::directory
