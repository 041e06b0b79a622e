#include "responder/cache_entry.h"
#include "shared/util/hex.h"

#include <xxhash.h>

#include <array>
#include <cstdlib>
#include <new>
#include <type_traits>

namespace keyward::responder {
der::Bytes CanonicalSerial(der::Bytes s) {
  if (s.size() > 1 && s[0] == 0x00) return s.subspan(1);
  return s;
}

bool MakeKey(uint16_t ca, ocsp::HashAlg alg, der::Bytes serial_contents, CacheKey* out) {
  der::Bytes s = CanonicalSerial(serial_contents);
  if (s.empty() || s.size() > ocsp::kMaxSerialBytes) return false;
  out->ca = ca;
  out->alg = static_cast<uint8_t>(alg);
  out->serial_len = static_cast<uint8_t>(s.size());
  std::memcpy(out->serial, s.data(), s.size());
  return true;
}

bool MakeKeyFromHex(uint16_t ca, ocsp::HashAlg alg, std::string_view hex, CacheKey* out) {
  if (hex.empty() || hex.size() % 2 != 0 || hex.size() / 2 > ocsp::kMaxSerialBytes) return false;
  out->ca = ca;
  out->alg = static_cast<uint8_t>(alg);
  out->serial_len = static_cast<uint8_t>(hex.size() / 2);
  // One table lookup per digit: the warm-up parses millions of serials.
  static constexpr auto kHex = [] {
    std::array<int16_t, 256> t{};
    for (int c = 0; c < 256; ++c) t[c] = static_cast<int16_t>(util::HexValue(static_cast<char>(c)));
    return t;
  }();
  int bad = 0;
  for (size_t i = 0; i < out->serial_len; ++i) {
    int hi = kHex[static_cast<uint8_t>(hex[2 * i])];
    int lo = kHex[static_cast<uint8_t>(hex[2 * i + 1])];
    bad |= hi | lo;  // negative if either is not a digit
    out->serial[i] = static_cast<uint8_t>((hi & 0xF) << 4 | (lo & 0xF));
  }
  return bad >= 0;
}

uint64_t HashKey(const CacheKey& key) { return XXH3_64bits(key.data(), key.size()); }

uint64_t HashCertificate(uint16_t ca, der::Bytes canonical_serial) {
  uint8_t buf[2 + ocsp::kMaxSerialBytes];
  size_t n = canonical_serial.size() < ocsp::kMaxSerialBytes ? canonical_serial.size()
                                                             : ocsp::kMaxSerialBytes;
  buf[0] = static_cast<uint8_t>(ca >> 8);
  buf[1] = static_cast<uint8_t>(ca);
  if (n > 0) std::memcpy(buf + 2, canonical_serial.data(), n);
  return XXH3_64bits(buf, 2 + n);
}

std::optional<store::StoredResponse> DecodeBlobHeader(std::string_view blob) {
  if (blob.size() <= store::kResponseBlobHeader) return std::nullopt;
  return store::DecodeResponseBlob(blob.substr(0, store::kResponseBlobHeader));
}

std::string_view BlobDer(std::string_view blob) {
  return blob.size() <= store::kResponseBlobHeader ? std::string_view()
                                                   : blob.substr(store::kResponseBlobHeader);
}

static_assert(std::is_trivially_destructible_v<CacheEntry>, "entries are freed as raw storage");

void EntryFree::operator()(CacheEntry* e) const {
  // The entry and its DER share one malloc'd block (see Create).
  std::free(e);
}

EntryPtr CacheEntry::Create(const CacheKey& key, const store::StoredResponse& response,
                            EntryKind kind, int64_t serve_until, std::string_view shared_tail) {
  return Create(key, response, response.der, kind, serve_until, shared_tail);
}

std::string CacheEntry::DerString() const {
  std::string out(reinterpret_cast<const char*>(Payload()), head_len_);
  out.append(reinterpret_cast<const char*>(tail_), tail_len_);
  return out;
}

EntryPtr CacheEntry::Create(const CacheKey& key, const store::StoredResponse& meta,
                            std::string_view der, EntryKind kind, int64_t serve_until,
                            std::string_view shared_tail) {
  if (der.empty() || der.size() > UINT32_MAX) return nullptr;
  const bool shared = !shared_tail.empty() && der.size() > shared_tail.size() &&
                      der.substr(der.size() - shared_tail.size()) == shared_tail;
  const size_t head = shared ? der.size() - shared_tail.size() : der.size();
  // One block: the fixed header followed by the DER (less the shared tail),
  // so an entry costs one allocation and no per-entry std::string.
  void* mem = std::malloc(sizeof(CacheEntry) + head);
  if (mem == nullptr) return nullptr;
  EntryPtr e(new (mem) CacheEntry());
  e->key_ = key;
  e->status_ = meta.status;
  e->reason_ = meta.reason;
  e->revoked_at_ = meta.revoked_at;
  e->this_update_ = meta.this_update;
  e->next_update_ = meta.next_update;
  e->serve_until_ = serve_until;
  e->kind_ = kind;
  e->head_len_ = static_cast<uint32_t>(head);
  if (shared) {
    e->tail_ = reinterpret_cast<const uint8_t*>(shared_tail.data());
    e->tail_len_ = static_cast<uint32_t>(shared_tail.size());
  }
  std::memcpy(e->Payload(), der.data(), head);
  // RFC 5019 ETag: a strong validator of the exact bytes (all of them, the
  // shared tail included), computed once.
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t h = XXH3_64bits(der.data(), der.size());
  e->etag_[0] = '"';
  for (int i = 0; i < 16; ++i) e->etag_[1 + i] = kHex[(h >> (60 - 4 * i)) & 0xF];
  e->etag_[17] = '"';
  FormatHttpDate(meta.this_update, e->last_modified_);
  FormatHttpDate(meta.next_update, e->expires_);
  return e;
}

}  // namespace keyward::responder
