#pragma once
// ChangeLogTruncated: the rule both stores use to tell a caller of
// Changes(since) that the change log cannot bring it up to date.
#include <cstdint>

namespace keyward::store {

// True when a reader that has seen every change up to `since` cannot catch up
// from the log: the entries after `since` were trimmed (the oldest retained
// one is newer than since + 1, or the log is empty although the generation
// moved), or the generation went backwards, which means the store was
// flushed or restarted empty and everything cached is suspect.
inline bool ChangeLogTruncated(uint64_t since, uint64_t generation, bool log_empty,
                               uint64_t oldest_retained) {
  if (generation < since) return true;
  if (generation == since) return false;
  return log_empty || oldest_retained > since + 1;
}

}  // namespace keyward::store
