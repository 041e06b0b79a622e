#pragma once
// CacheKey and CacheEntry: what the responder cache holds. An entry is one
// immutable allocation (header fields, preformatted HTTP dates, ETag and the
// signed DER, less a tail shared by every answer of its signer), built off
// the hot path and replaced whole, never edited.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "responder/http_date.h"
#include "shared/der/bytes.h"
#include "shared/ocsp/cert_id.h"
#include "shared/ocsp/status.h"
#include "shared/store/record.h"

namespace keyward::responder {

// CacheKey names one precomputed answer: (CA index, CertID hash algorithm,
// serial). The serial is canonical (one leading 0x00 sign octet dropped, as
// ocsp::SerialHex does) so that keys built from a request and from a store
// key agree. Fixed size, lives on the stack.
struct CacheKey {
  uint16_t ca = 0;
  uint8_t alg = 0;
  uint8_t serial_len = 0;
  uint8_t serial[ocsp::kMaxSerialBytes] = {};

  // Bytes that take part in hashing and comparison.
  size_t size() const { return 4 + serial_len; }
  const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(this); }
  der::Bytes serial_bytes() const { return der::Bytes(serial, serial_len); }
  bool operator==(const CacheKey& o) const {
    return serial_len == o.serial_len && std::memcmp(data(), o.data(), size()) == 0;
  }
};
static_assert(offsetof(CacheKey, serial) == 4, "CacheKey is hashed as raw bytes");

// CanonicalSerial drops a single leading 0x00 sign octet (SerialHex's rule).
der::Bytes CanonicalSerial(der::Bytes serial_contents);

// MakeKey builds a key from INTEGER contents as on the wire. False when the
// serial is empty or longer than kMaxSerialBytes.
[[nodiscard]] bool MakeKey(uint16_t ca, ocsp::HashAlg alg, der::Bytes serial_contents,
                           CacheKey* out);
// MakeKeyFromHex builds a key from SerialHex text (a store key). False unless
// `hex` is an even-length run of hex digits that fits.
[[nodiscard]] bool MakeKeyFromHex(uint16_t ca, ocsp::HashAlg alg, std::string_view hex,
                                  CacheKey* out);

// HashKey: XXH3-64 of the key's bytes.
uint64_t HashKey(const CacheKey& key);
// HashCertificate: XXH3-64 of (ca, serial) only, the same for every hash
// algorithm variant; used to mark invalidations.
uint64_t HashCertificate(uint16_t ca, der::Bytes canonical_serial);

// DecodeBlobHeader reads a store response blob's fixed header only (status,
// reason, times; `der` left empty), so an entry can copy the DER straight
// from the Redis reply instead of through a std::string. nullopt as
// store::DecodeResponseBlob. BlobDer is the DER part of the same blob.
std::optional<store::StoredResponse> DecodeBlobHeader(std::string_view blob);
std::string_view BlobDer(std::string_view blob);

enum class EntryKind : uint8_t {
  kPrecomputed = 0,  // a StoredResponse from Redis
  kNegative = 1,     // a live-signed "unknown" kept for negative_cache_s
};

constexpr size_t kEtagLength = 18;  // '"' + 16 hex + '"'

class CacheEntry;
struct EntryFree {
  void operator()(CacheEntry* e) const;
};
using EntryPtr = std::unique_ptr<CacheEntry, EntryFree>;

class CacheEntry {
 public:
  // Create builds an entry in a single allocation. `serve_until` is when the
  // cache stops serving it (nextUpdate, or sooner for a negative entry).
  // When `der` ends with `shared_tail` (SignerCertsTail of its CA), only the
  // bytes before it are copied, and the entry points at `shared_tail`,
  // which must outlive it. Returns null when the DER is empty or allocation
  // fails.
  static EntryPtr Create(const CacheKey& key, const store::StoredResponse& response, EntryKind kind,
                         int64_t serve_until, std::string_view shared_tail = {});
  static EntryPtr Create(const CacheKey& key, const store::StoredResponse& meta,
                         std::string_view der, EntryKind kind, int64_t serve_until,
                         std::string_view shared_tail = {});

  const CacheKey& key() const { return key_; }
  ocsp::CertStatus status() const { return status_; }
  ocsp::RevocationReason reason() const { return reason_; }
  int64_t revoked_at() const { return revoked_at_; }
  int64_t this_update() const { return this_update_; }
  int64_t next_update() const { return next_update_; }
  int64_t serve_until() const { return serve_until_; }
  EntryKind kind() const { return kind_; }
  std::string_view etag() const { return std::string_view(etag_, kEtagLength); }
  std::string_view last_modified() const {
    return std::string_view(last_modified_, kHttpDateLength);
  }
  std::string_view expires() const { return std::string_view(expires_, kHttpDateLength); }
  // The signed DER is head() followed by tail() (empty when not shared).
  der::Bytes head() const { return der::Bytes(Payload(), head_len_); }
  der::Bytes tail() const { return der::Bytes(tail_, tail_len_); }
  size_t der_size() const { return size_t{head_len_} + tail_len_; }
  void AppendDer(std::vector<uint8_t>& out) const {
    out.insert(out.end(), Payload(), Payload() + head_len_);
    out.insert(out.end(), tail_, tail_ + tail_len_);
  }
  std::string DerString() const;  // a copy, for tests and tools
  // footprint: the bytes this entry holds (a shared tail counts once, per CA).
  size_t footprint() const { return sizeof(CacheEntry) + head_len_; }

 private:
  CacheEntry() = default;
  const uint8_t* Payload() const { return reinterpret_cast<const uint8_t*>(this + 1); }
  uint8_t* Payload() { return reinterpret_cast<uint8_t*>(this + 1); }

  CacheKey key_;
  int64_t revoked_at_ = 0;
  int64_t this_update_ = 0;
  int64_t next_update_ = 0;
  int64_t serve_until_ = 0;
  const uint8_t* tail_ = nullptr;
  uint32_t head_len_ = 0;
  uint32_t tail_len_ = 0;
  ocsp::CertStatus status_ = ocsp::CertStatus::kGood;
  ocsp::RevocationReason reason_ = ocsp::RevocationReason::kNone;
  EntryKind kind_ = EntryKind::kPrecomputed;
  char etag_[kEtagLength] = {};
  char last_modified_[kHttpDateLength] = {};
  char expires_[kHttpDateLength] = {};
};

}  // namespace keyward::responder
