#include "shared/store/record_fields.h"

#include <charconv>

#include "shared/ocsp/status.h"

namespace keyward::store {
namespace {

bool ParseI64(std::string_view text, int64_t* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::vector<std::pair<std::string_view, std::string>> RecordToFields(const CertRecord& rec) {
  return {
      {"ca", rec.ca},
      {"serial", rec.serial_hex},
      {"status", std::string(ocsp::CertStatusName(rec.status))},
      {"revoked_at", std::to_string(rec.revoked_at)},
      {"reason", std::string(ocsp::ReasonName(rec.reason))},
      {"not_before", std::to_string(rec.not_before)},
      {"not_after", std::to_string(rec.not_after)},
      {"subject", rec.subject},
      {"device_id", rec.device_id},
      {"source", std::string(SourceName(rec.source))},
      {"updated_at", std::to_string(rec.updated_at)},
  };
}

Result<CertRecord> RecordFromFields(
    const std::vector<std::pair<std::string_view, std::string_view>>& fields,
    std::string_view key) {
  CertRecord rec;
  bool have_ca = false, have_serial = false, have_status = false;
  auto bad = [&](std::string_view field, std::string_view value) {
    return Fail(std::string(key) + ": bad " + std::string(field) + " '" + std::string(value) + "'");
  };
  for (const auto& [name, value] : fields) {
    if (name == "ca") {
      rec.ca.assign(value);
      have_ca = !value.empty();
    } else if (name == "serial") {
      rec.serial_hex.assign(value);
      have_serial = !value.empty();
    } else if (name == "status") {
      std::optional<ocsp::CertStatus> s = ocsp::CertStatusFromName(value);
      if (!s) return bad(name, value);
      rec.status = *s;
      have_status = true;
    } else if (name == "reason") {
      // ReasonName writes "" for kNone.
      std::optional<ocsp::RevocationReason> r =
          value.empty() ? ocsp::RevocationReason::kNone : ocsp::ReasonFromName(value);
      if (!r) return bad(name, value);
      rec.reason = *r;
    } else if (name == "source") {
      std::optional<Source> s = SourceFromName(value);
      if (!s) return bad(name, value);
      rec.source = *s;
    } else if (name == "subject") {
      rec.subject.assign(value);
    } else if (name == "device_id") {
      rec.device_id.assign(value);
    } else if (name == "revoked_at" || name == "not_before" || name == "not_after" ||
               name == "updated_at") {
      int64_t* out = name == "revoked_at"   ? &rec.revoked_at
                     : name == "not_before" ? &rec.not_before
                     : name == "not_after"  ? &rec.not_after
                                            : &rec.updated_at;
      if (!ParseI64(value, out)) return bad(name, value);
    }
  }
  if (!have_ca || !have_serial || !have_status) {
    return Fail(std::string(key) + ": record lacks ca, serial or status");
  }
  return rec;
}

}  // namespace keyward::store
