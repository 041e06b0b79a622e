#include "responder/response_cache.h"

namespace keyward::responder {
namespace {

constexpr size_t kMinSlots = 16;

void StoreMax(std::atomic<uint64_t>& a, uint64_t v) {
  uint64_t cur = a.load();
  while (cur < v && !a.compare_exchange_weak(cur, v)) {
  }
}

}  // namespace

ResponseCache::ResponseCache()
    : shards_(std::make_unique<Shard[]>(size_t{1} << kShardBits)),
      marks_(std::make_unique<std::atomic<uint64_t>[]>(kMarkCount)) {
  for (size_t i = 0; i < kMarkCount; ++i) marks_[i].store(0);
}

const CacheEntry* ResponseCache::Shard::Find(const CacheKey& key, uint64_t hash) const {
  if (slots.empty()) return nullptr;
  size_t mask = slots.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots[i];
    if (!s.entry) return nullptr;
    // The hash only picks the slot; the full key decides.
    if (s.hash == hash && s.entry->key() == key) return s.entry.get();
  }
}

void ResponseCache::Shard::Grow() {
  std::vector<Slot> old = std::move(slots);
  slots = std::vector<Slot>(old.empty() ? kMinSlots : old.size() * 2);
  size_t mask = slots.size() - 1;
  for (Slot& s : old) {
    if (!s.entry) continue;
    size_t i = s.hash & mask;
    while (slots[i].entry) i = (i + 1) & mask;
    slots[i] = std::move(s);
  }
}

void ResponseCache::Shard::Put(EntryPtr entry, uint64_t hash, std::atomic<size_t>* total) {
  // Load factor at most 3/4 keeps probe runs short.
  if ((count + 1) * 4 > slots.size() * 3) Grow();
  size_t mask = slots.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    Slot& s = slots[i];
    if (!s.entry) {
      bytes += entry->footprint();
      s.hash = hash;
      s.entry = std::move(entry);
      ++count;
      total->fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (s.hash == hash && s.entry->key() == entry->key()) {
      bytes += entry->footprint();
      bytes -= s.entry->footprint();
      s.entry = std::move(entry);  // replaced whole; the old one is freed
      return;
    }
  }
}

void ResponseCache::Shard::RemoveAt(size_t i, std::atomic<size_t>* total) {
  size_t mask = slots.size() - 1;
  bytes -= slots[i].entry->footprint();
  slots[i].entry.reset();
  --count;
  total->fetch_sub(1, std::memory_order_relaxed);
  // Backward-shift deletion: move later members of the probe run into the
  // hole so lookups never need tombstones.
  size_t hole = i;
  for (size_t j = (i + 1) & mask; slots[j].entry; j = (j + 1) & mask) {
    size_t home = slots[j].hash & mask;
    // Slot j may move to the hole unless its home lies cyclically in (hole, j].
    bool home_in_range = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (home_in_range) continue;
    slots[hole] = std::move(slots[j]);
    hole = j;
  }
}

bool ResponseCache::Shard::Remove(const CacheKey& key, uint64_t hash, std::atomic<size_t>* total) {
  if (slots.empty()) return false;
  size_t mask = slots.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    Slot& s = slots[i];
    if (!s.entry) return false;
    if (s.hash == hash && s.entry->key() == key) {
      RemoveAt(i, total);
      return true;
    }
  }
}

bool ResponseCache::Refused(const CacheKey& key, uint64_t fetch_epoch) const {
  if (reset_epoch_.load() > fetch_epoch) return true;
  uint64_t mark = marks_[HashCertificate(key.ca, key.serial_bytes()) % kMarkCount].load();
  return mark > fetch_epoch;
}

bool ResponseCache::Insert(EntryPtr entry, uint64_t fetch_epoch) {
  if (!entry) return false;
  uint64_t hash = HashKey(entry->key());
  return InsertWithHash(std::move(entry), hash, fetch_epoch);
}

bool ResponseCache::InsertWithHash(EntryPtr entry, uint64_t hash, uint64_t fetch_epoch) {
  if (!entry) return false;
  Shard& shard = shards_[ShardOf(hash)];
  std::unique_lock lock(shard.mu);
  // Checked under the shard lock: an invalidation either marks before this
  // check (refused here) or drops under this lock after the insert.
  if (Refused(entry->key(), fetch_epoch)) return false;
  shard.Put(std::move(entry), hash, &size_);
  return true;
}

void ResponseCache::Invalidate(uint16_t ca, der::Bytes serial) {
  uint64_t e = epoch_.fetch_add(1) + 1;
  StoreMax(marks_[HashCertificate(ca, serial) % kMarkCount], e);
  for (uint8_t alg = 1; alg <= ocsp::kHashAlgCount; ++alg) {
    CacheKey key;
    if (!MakeKey(ca, static_cast<ocsp::HashAlg>(alg), serial, &key)) return;
    Erase(key);
  }
}

void ResponseCache::InvalidateAll() {
  uint64_t e = epoch_.fetch_add(1) + 1;
  StoreMax(reset_epoch_, e);
  for (size_t s = 0; s < (size_t{1} << kShardBits); ++s) {
    Shard& shard = shards_[s];
    std::unique_lock lock(shard.mu);
    size_.fetch_sub(shard.count, std::memory_order_relaxed);
    std::vector<Slot>().swap(shard.slots);
    shard.count = 0;
    shard.bytes = 0;
  }
}

bool ResponseCache::Erase(const CacheKey& key, uint64_t hash) {
  Shard& shard = shards_[ShardOf(hash)];
  std::unique_lock lock(shard.mu);
  return shard.Remove(key, hash, &size_);
}

size_t ResponseCache::DropExpired(int64_t now) {
  size_t dropped = 0;
  for (size_t s = 0; s < (size_t{1} << kShardBits); ++s) {
    Shard& shard = shards_[s];
    std::unique_lock lock(shard.mu);
    for (size_t i = 0; i < shard.slots.size();) {
      const EntryPtr& e = shard.slots[i].entry;
      if (e && now >= e->serve_until()) {
        shard.RemoveAt(i, &size_);  // may shift a later entry into slot i
        ++dropped;
        continue;
      }
      ++i;
    }
  }
  return dropped;
}

size_t ResponseCache::MemoryBytes() const {
  size_t total = 0;
  for (size_t s = 0; s < (size_t{1} << kShardBits); ++s) {
    const Shard& shard = shards_[s];
    std::shared_lock lock(shard.mu);
    total += shard.bytes + shard.slots.size() * sizeof(Slot);
  }
  return total;
}

}  // namespace keyward::responder
