#include "shared/store/record.h"

#include <array>

namespace keyward::store {
namespace {

constexpr uint8_t kBlobVersion = 1;

constexpr std::array<std::string_view, 4> kSourceNames = {"keyward", "index", "crl", "directory"};

void PutI64(std::string& out, int64_t v) {
  uint64_t u = static_cast<uint64_t>(v);
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((u >> shift) & 0xFF));
}

int64_t GetI64(std::string_view in, size_t at) {
  uint64_t u = 0;
  for (size_t i = 0; i < 8; ++i) u = (u << 8) | static_cast<uint8_t>(in[at + i]);
  return static_cast<int64_t>(u);
}

bool KnownStatus(uint8_t v) { return v <= static_cast<uint8_t>(ocsp::CertStatus::kUnknown); }

// CRLReason 7 is unassigned (RFC 5280 5.3.1); 0xFF is our "no reason".
bool KnownReason(uint8_t v) { return v <= 10 ? v != 7 : v == 0xFF; }

}  // namespace

std::string_view SourceName(Source s) {
  size_t i = static_cast<size_t>(s);
  return i < kSourceNames.size() ? kSourceNames[i] : std::string_view("unknown");
}

std::optional<Source> SourceFromName(std::string_view name) {
  for (size_t i = 0; i < kSourceNames.size(); ++i) {
    if (kSourceNames[i] == name) return static_cast<Source>(i);
  }
  return std::nullopt;
}

std::string EncodeResponseBlob(const StoredResponse& r) {
  std::string out;
  out.reserve(kResponseBlobHeader + r.der.size());
  out.push_back(static_cast<char>(kBlobVersion));
  out.push_back(static_cast<char>(r.status));
  out.push_back(static_cast<char>(r.reason));
  PutI64(out, r.revoked_at);
  PutI64(out, r.this_update);
  PutI64(out, r.next_update);
  out.append(r.der);
  return out;
}

std::optional<StoredResponse> DecodeResponseBlob(std::string_view blob) {
  if (blob.size() < kResponseBlobHeader) return std::nullopt;
  const auto version = static_cast<uint8_t>(blob[0]);
  const auto status = static_cast<uint8_t>(blob[1]);
  const auto reason = static_cast<uint8_t>(blob[2]);
  // A reader must not guess at a layout it does not know: a newer writer
  // bumps the version, and an older responder then treats the entry as a miss.
  if (version != kBlobVersion || !KnownStatus(status) || !KnownReason(reason)) return std::nullopt;
  StoredResponse r;
  r.status = static_cast<ocsp::CertStatus>(status);
  r.reason = static_cast<ocsp::RevocationReason>(reason);
  r.revoked_at = GetI64(blob, 3);
  r.this_update = GetI64(blob, 11);
  r.next_update = GetI64(blob, 19);
  r.der.assign(blob.substr(kResponseBlobHeader));
  return r;
}

}  // namespace keyward::store
