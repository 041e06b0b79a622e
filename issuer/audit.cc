#include "issuer/audit.h"

#include <spdlog/spdlog.h>

#include <cstdio>

namespace keyward::issuer {

std::string Quote(const std::string& value) {
  std::string out = "\"";
  for (unsigned char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  return out;
}

void Audit(const AuditEvent& e) {
  spdlog::info(
      "audit op={} result={} challenge={} remote={} txid={} subject={} serial={} reason={}", e.op,
      e.result, e.challenge.empty() ? "none" : e.challenge, Quote(e.remote),
      Quote(e.transaction_id), Quote(e.subject), e.serial_hex.empty() ? "-" : e.serial_hex,
      Quote(e.reason));
}

}  // namespace keyward::issuer
