#include "shared/store/store.h"

namespace keyward::store {

// The default applies one update after another; the Redis store overrides it
// with a pipeline. Stops at the first failure: earlier updates stay applied,
// each having been atomic on its own.
Result<void> StoreWriter::ApplyBatch(const std::vector<CertUpdate>& updates) {
  for (size_t i = 0; i < updates.size(); ++i) {
    Result<uint64_t> applied = Apply(updates[i]);
    if (!applied) {
      return Fail("update " + std::to_string(i + 1) + " of " + std::to_string(updates.size()) +
                  " (" + updates[i].record.ca + "/" + updates[i].record.serial_hex +
                  "): " + applied.error());
    }
  }
  return {};
}

}  // namespace keyward::store
