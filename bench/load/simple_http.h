#pragma once
// SimpleHttp: one blocking HTTP/1.0 exchange over loopback, for set-up steps
// (SCEP GetCACert) that are not measured.
#include <string>

#include "bench/load/commands.h"
#include "shared/result.h"

namespace keyward::bench {

struct SimpleResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};

// SimpleHttp sends `method target` (with `body` when non-empty) and reads the
// answer to the close; fails on connect or parse errors or after timeout_ms.
Result<SimpleResponse> SimpleHttp(const HttpUrl& url, const std::string& method,
                                  const std::string& target, const std::string& body,
                                  const std::string& content_type, int timeout_ms = 10'000);

}  // namespace keyward::bench
