#pragma once
// HttpJsonSource: the "http-json" directory (DESIGN.md contract):
//   GET url  ->  {"devices": [{"id": "...", "enabled": true, "deleted": false}, ...],
//                 "next": "URL or null"}
// Pages are followed through "next" (same origin only). The first page is
// asked with If-None-Match: the last committed ETag, and a 304 is
// kNotModified. A bearer token is read from token_file on every Fetch, so a
// rotated token is picked up without a restart.
#include <string>
#include <string_view>
#include <vector>

#include "shared/directory/source.h"

namespace keyward::directory {

// ParseDeviceList reads one page of the contract (also a webhook body).
// Fails on anything but an object whose "devices" is a list of objects with
// a non-empty string "id"; "enabled" defaults to true and "deleted" to false.
// `next` gets the "next" URL ("" when null or absent).
Result<void> ParseDeviceList(std::string_view body, std::vector<DeviceUpdate>* devices,
                             std::string* next);

class HttpJsonSource : public Source {
 public:
  explicit HttpJsonSource(const config::DirectoryConfig& cfg) : cfg_(cfg) {}
  Result<SyncResult> Fetch(int64_t now) override;
  void Commit() override { etag_ = pending_etag_; }

 private:
  config::DirectoryConfig cfg_;
  std::string etag_;          // of the last committed full listing
  std::string pending_etag_;  // of the last fetched one
};

}  // namespace keyward::directory
