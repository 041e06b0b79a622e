#pragma once
// The CertRecord <-> Redis hash mapping (docs/store.md, "cert:" keys). Values
// are text so that `redis-cli HGETALL` is readable: status, reason and source
// by name, times as decimal unix seconds.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shared/result.h"
#include "shared/store/record.h"

namespace keyward::store {

// RecordToFields: every field, always all of them, so an HSET replaces a
// whole record without leaving stale fields behind.
std::vector<std::pair<std::string_view, std::string>> RecordToFields(const CertRecord& rec);

// RecordFromFields parses field/value pairs (as HGETALL returns them). Unknown
// fields are ignored (a newer writer may add some); a missing ca, serial or
// status, or a value that does not parse, is an error naming `key`.
Result<CertRecord> RecordFromFields(
    const std::vector<std::pair<std::string_view, std::string_view>>& fields, std::string_view key);

}  // namespace keyward::store
