#pragma once
// ResponseCache: the signed answers every worker loop serves from, shared by
// all loops. Sharded by the top bits of the key's XXH3 hash; each shard is a
// std::shared_mutex over an open-addressing table of (hash, entry) slots with
// linear probing and backward-shift deletion. Readers copy bytes out under the
// shared lock (see Visit); writers replace whole entries.
//
// Staleness guard: every invalidation takes a new epoch and records it in a
// mark table indexed by HashCertificate(ca, serial). A fetch reads Epoch()
// before it is issued and passes that value to Insert, which refuses the entry
// if its certificate was invalidated since: a "good" read from Redis before a
// revocation can never land in the cache after the revocation was applied.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "responder/cache_entry.h"

namespace keyward::responder {

class ResponseCache {
 public:
  static constexpr size_t kShardBits = 6;  // 64 shards
  static constexpr size_t kMarkCount = 1 << 16;

  ResponseCache();
  ResponseCache(const ResponseCache&) = delete;
  ResponseCache& operator=(const ResponseCache&) = delete;

  // Epoch: read before issuing a fetch whose result may be inserted.
  uint64_t Epoch() const { return epoch_.load(std::memory_order_seq_cst); }

  // Insert installs `entry` (replacing any entry with the same key) unless its
  // certificate was invalidated after `fetch_epoch`, or everything was. Returns
  // false, and frees the entry, when refused.
  bool Insert(EntryPtr entry, uint64_t fetch_epoch);
  // InsertWithHash is Insert with the table hash given (tests force collisions).
  bool InsertWithHash(EntryPtr entry, uint64_t hash, uint64_t fetch_epoch);

  // Invalidate drops every variant (all hash algorithms, negative entries
  // included) of (ca, serial) and marks it so in-flight fetches cannot
  // reinstate an old answer. `serial` is canonical (CacheKey form).
  void Invalidate(uint16_t ca, der::Bytes serial);
  // InvalidateAll empties the cache and refuses every fetch issued before.
  void InvalidateAll();

  // Visit calls f(const CacheEntry&) under the shard's shared lock when an
  // entry with exactly `key` exists and `now` is before its serve_until.
  // Returns whether f was called. f must only copy bytes out. No heap.
  template <class F>
  bool Visit(const CacheKey& key, uint64_t hash, int64_t now, F&& f) const {
    const Shard& shard = shards_[ShardOf(hash)];
    std::shared_lock lock(shard.mu);
    const CacheEntry* e = shard.Find(key, hash);
    if (e == nullptr || now >= e->serve_until()) return false;
    f(*e);
    return true;
  }
  template <class F>
  bool Visit(const CacheKey& key, int64_t now, F&& f) const {
    return Visit(key, HashKey(key), now, static_cast<F&&>(f));
  }

  bool Erase(const CacheKey& key) { return Erase(key, HashKey(key)); }
  bool Erase(const CacheKey& key, uint64_t hash);
  // DropExpired removes entries whose serve_until has passed; returns how many.
  size_t DropExpired(int64_t now);

  size_t size() const { return size_.load(std::memory_order_relaxed); }
  // Bytes held: entries (header + DER) and slot tables.
  size_t MemoryBytes() const;

 private:
  struct Slot {
    uint64_t hash = 0;
    EntryPtr entry;
  };
  struct Shard {
    mutable std::shared_mutex mu;
    std::vector<Slot> slots;  // power-of-two size, or empty
    size_t count = 0;
    size_t bytes = 0;  // footprint of the entries

    const CacheEntry* Find(const CacheKey& key, uint64_t hash) const;
    // Put: inserts or replaces; the caller holds the exclusive lock.
    void Put(EntryPtr entry, uint64_t hash, std::atomic<size_t>* total);
    bool Remove(const CacheKey& key, uint64_t hash, std::atomic<size_t>* total);
    void RemoveAt(size_t i, std::atomic<size_t>* total);
    void Grow();
  };

  static size_t ShardOf(uint64_t hash) { return hash >> (64 - kShardBits); }
  bool Refused(const CacheKey& key, uint64_t fetch_epoch) const;

  std::unique_ptr<Shard[]> shards_;
  std::unique_ptr<std::atomic<uint64_t>[]> marks_;
  std::atomic<uint64_t> epoch_{1};
  std::atomic<uint64_t> reset_epoch_{0};
  std::atomic<size_t> size_{0};
};

}  // namespace keyward::responder
