#pragma once
// URL helpers for handlers: percent-decoding and query parameters.
#include <optional>
#include <string>
#include <string_view>

namespace keyward::http {

// PercentDecode turns %XX into bytes. '+' stays '+': SCEP clients send raw
// base64, where '+' is data, not a space. A malformed escape ("%4", "%G0")
// gives nullopt.
std::optional<std::string> PercentDecode(std::string_view in);

// QueryParam: the percent-decoded value of the first `name=` in `query`
// (names compare exactly). nullopt when absent or badly escaped; "" for
// "name=" or a bare "name".
std::optional<std::string> QueryParam(std::string_view query, std::string_view name);

}  // namespace keyward::http
