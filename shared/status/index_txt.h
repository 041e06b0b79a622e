#pragma once
// OpenSSL `ca` database (index.txt) parsing: the status source of a CA that
// Keyward does not run. One line per certificate, tab-separated:
//   status (V|R|E)  expiry  revocation[,reason]  serial  filename  subject
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/ocsp/status.h"

namespace keyward::status {

struct IndexEntry {
  ocsp::CertStatus status = ocsp::CertStatus::kGood;  // V and E are good: expiry is not revocation
  bool expired = false;                               // E
  int64_t not_after = 0;
  int64_t revoked_at = 0;
  ocsp::RevocationReason reason = ocsp::RevocationReason::kNone;
  std::string serial_hex;  // ocsp::SerialHex form
  std::string subject;     // as written ("/C=../CN=..")
};

struct IndexParse {
  std::vector<IndexEntry> entries;
  // Lines that could not be read, with their 1-based numbers: reported, and
  // skipped, so one bad line cannot hide the status of every other.
  std::vector<std::pair<size_t, std::string>> errors;
};

// ParseIndexLine: nullopt with `why` set for a malformed line.
std::optional<IndexEntry> ParseIndexLine(std::string_view line, std::string* why);
IndexParse ParseIndex(std::string_view text);

// ParseAsn1Time: "YYMMDDHHMMSSZ" (UTCTime, 1950-2049) or "YYYYMMDDHHMMSSZ".
std::optional<int64_t> ParseAsn1Time(std::string_view text);

}  // namespace keyward::status
