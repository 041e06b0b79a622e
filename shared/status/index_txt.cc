#include "shared/status/index_txt.h"

#include "shared/ocsp/cert_id.h"
#include "shared/util/civil_date.h"

namespace keyward::status {
namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

std::vector<std::string_view> SplitTabs(std::string_view line) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t tab = line.find('\t', start);
    if (tab == std::string_view::npos) {
      out.push_back(line.substr(start));
      return out;
    }
    out.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
}

}  // namespace

std::optional<int64_t> ParseAsn1Time(std::string_view t) {
  int year = 0;
  size_t pos = 0;
  if (t.size() == 13) {
    if (!Digits(t, 0, 2, &year)) return std::nullopt;
    year += year < 50 ? 2000 : 1900;
    pos = 2;
  } else if (t.size() == 15) {
    if (!Digits(t, 0, 4, &year)) return std::nullopt;
    pos = 4;
  } else {
    return std::nullopt;
  }
  int mon, day, hour, min, sec;
  if (t.back() != 'Z' || !Digits(t, pos, 2, &mon) || !Digits(t, pos + 2, 2, &day) ||
      !Digits(t, pos + 4, 2, &hour) || !Digits(t, pos + 6, 2, &min) ||
      !Digits(t, pos + 8, 2, &sec)) {
    return std::nullopt;
  }
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) {
    return std::nullopt;
  }
  return util::DaysFromCivil(year, static_cast<unsigned>(mon), static_cast<unsigned>(day)) * 86400 +
         hour * 3600 + min * 60 + sec;
}

std::optional<IndexEntry> ParseIndexLine(std::string_view line, std::string* why) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::vector<std::string_view> f = SplitTabs(line);
  if (f.size() < 6) {
    *why = "expected 6 tab-separated fields, found " + std::to_string(f.size());
    return std::nullopt;
  }
  IndexEntry e;
  if (f[0] == "V") {
    e.status = ocsp::CertStatus::kGood;
  } else if (f[0] == "E") {
    e.status = ocsp::CertStatus::kGood;
    e.expired = true;
  } else if (f[0] == "R") {
    e.status = ocsp::CertStatus::kRevoked;
  } else {
    *why = "status must be V, R or E";
    return std::nullopt;
  }
  std::optional<int64_t> expiry = ParseAsn1Time(f[1]);
  if (!expiry) {
    *why = "bad expiry time";
    return std::nullopt;
  }
  e.not_after = *expiry;
  if (e.status == ocsp::CertStatus::kRevoked) {
    std::string_view rev = f[2];
    size_t comma = rev.find(',');
    std::optional<int64_t> when = ParseAsn1Time(rev.substr(0, comma));
    if (!when) {
      *why = "bad revocation time";
      return std::nullopt;
    }
    e.revoked_at = *when;
    e.reason = ocsp::RevocationReason::kUnspecified;
    if (comma != std::string_view::npos) {
      std::string_view name = rev.substr(comma + 1);
      name = name.substr(0, name.find(','));  // holdInstruction carries an OID after it
      std::optional<ocsp::RevocationReason> reason = ocsp::ReasonFromName(name);
      // OpenSSL writes holdInstruction for a hold; keyTime/CAkeyTime imply a
      // compromise.
      if (name == "holdInstruction") reason = ocsp::RevocationReason::kCertificateHold;
      if (name == "keyTime") reason = ocsp::RevocationReason::kKeyCompromise;
      if (name == "CAkeyTime") reason = ocsp::RevocationReason::kCaCompromise;
      if (!reason) {
        *why = "unknown revocation reason";
        return std::nullopt;
      }
      e.reason = *reason;
    }
  } else if (!f[2].empty()) {
    *why = "revocation field set on a certificate that is not R";
    return std::nullopt;
  }
  std::optional<std::string> serial = ocsp::NormalizeSerialHex(f[3]);
  if (!serial || f[3].empty()) {
    *why = "bad serial";
    return std::nullopt;
  }
  e.serial_hex = *serial;
  e.subject = std::string(f[5]);
  return e;
}

IndexParse ParseIndex(std::string_view text) {
  IndexParse out;
  size_t line_no = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    std::string_view line = text.substr(start, nl == std::string_view::npos ? nl : nl - start);
    start = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (line.empty() || line == "\r") continue;
    std::string why;
    std::optional<IndexEntry> e = ParseIndexLine(line, &why);
    if (e) {
      out.entries.push_back(std::move(*e));
    } else {
      out.errors.emplace_back(line_no, why);
    }
  }
  return out;
}

}  // namespace keyward::status
